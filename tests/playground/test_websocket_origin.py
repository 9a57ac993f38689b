"""The websocket origin check compares scheme, host and port: only this site's own pages may open /ws/orders/."""

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured

from playground.asgi import application
from playground.websocket_origin import SameOriginValidator

# Channels closes stale database connections in a worker thread on disconnect, so the database must be reachable.
pytestmark = pytest.mark.django_db(transaction=True)


class Accepting(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()


def headers(origin, host="127.0.0.1:8000"):
    return ([(b"origin", origin.encode())] if origin is not None else []) + [(b"host", host.encode())]


async def opens(app, origin, host="127.0.0.1:8000", path="/ws/orders/") -> bool:
    communicator = WebsocketCommunicator(app, path, headers=headers(origin, host))
    connected, _ = await communicator.connect(timeout=5)
    if connected:
        await communicator.disconnect()
    else:
        await communicator.wait()
    return connected


def test_the_site_wires_the_check_in_front_of_the_websocket():
    assert isinstance(application.application_mapping["websocket"], SameOriginValidator)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://127.0.0.1:54321", "127.0.0.1:54321"),  # the tests' servers run on free ports
        ("http://localhost:8000", "localhost:8000"),
        ("http://LOCALHOST:8000", "localhost:8000"),
        ("http://localhost", "localhost"),
        ("http://localhost:80", "localhost"),
    ],
)
async def test_a_page_of_the_same_origin_is_accepted(origin, host):
    assert await opens(SameOriginValidator(Accepting.as_asgi()), origin, host)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://127.0.0.1:8001", "127.0.0.1:8000"),  # another port of the same host
        ("https://127.0.0.1:8000", "127.0.0.1:8000"),  # another scheme
        ("http://localhost:8000", "127.0.0.1:8000"),  # another host, though allowed
        ("http://evil.example", "127.0.0.1:8000"),
        ("http://evil.example:8000", "evil.example:8000"),  # DNS rebinding: the host is not in ALLOWED_HOSTS
        ("null", "127.0.0.1:8000"),
        ("http://127.0.0.1:8000/path", "127.0.0.1:8000"),
        ("http://127.0.0.1:99999", "127.0.0.1:8000"),
        ("ftp://127.0.0.1:8000", "127.0.0.1:8000"),
        (None, "127.0.0.1:8000"),
    ],
)
async def test_another_origin_is_refused_by_the_real_application(origin, host):
    # Refused before the consumer: no relay (and no Kafka) is needed.
    assert not await opens(application, origin, host)


async def test_several_origin_headers_are_refused():
    communicator = WebsocketCommunicator(
        SameOriginValidator(Accepting.as_asgi()),
        "/ws/orders/",
        headers=[
            (b"origin", b"http://127.0.0.1:8000"),
            (b"origin", b"http://evil.example"),
            (b"host", b"127.0.0.1:8000"),
        ],
    )
    assert not (await communicator.connect(timeout=5))[0]
    await communicator.wait()


def scope(origin, host="127.0.0.1:8000", scheme=None):
    built = {"type": "websocket", "path": "/ws/orders/", "headers": headers(origin, host)}
    if scheme:
        built["scheme"] = scheme
    return built


def test_over_tls_the_page_is_https():
    check = SameOriginValidator(Accepting.as_asgi())
    assert check.allowed(scope("https://localhost", "localhost", scheme="wss"))
    assert check.allowed(scope("https://localhost:8443", "localhost:8443", scheme="wss"))
    assert not check.allowed(scope("http://localhost", "localhost", scheme="wss"))
    assert not check.allowed(scope("https://localhost", "localhost", scheme="ws"))


def test_behind_a_tls_proxy_django_https_makes_the_page_https(settings):
    settings.HTTPS = True
    check = SameOriginValidator(Accepting.as_asgi())
    assert check.allowed(scope("https://127.0.0.1:8000", scheme="ws"))
    assert not check.allowed(scope("http://127.0.0.1:8000", scheme="ws"))


async def test_configured_origins_are_accepted_exactly():
    app = SameOriginValidator(Accepting.as_asgi(), ["https://dash.example", "http://127.0.0.1:3000"])
    assert await opens(app, "https://dash.example")
    assert await opens(app, "https://dash.example:443")
    assert await opens(app, "http://127.0.0.1:3000")
    assert not await opens(app, "https://dash.example:8443")
    assert not await opens(app, "http://dash.example")
    assert not await opens(app, "https://sub.dash.example")
    assert not await opens(app, "http://127.0.0.1:3001")


@pytest.mark.parametrize("bad", ["dash.example", "ws://dash.example", "https://dash.example/path", "*"])
def test_a_configured_origin_must_be_scheme_host_port(bad):
    with pytest.raises(ImproperlyConfigured):
        SameOriginValidator(Accepting.as_asgi(), [bad])
