"""The websocket's origin check: scheme, host and port, not the host alone.

Channels' AllowedHostsOriginValidator compares only the Origin's host with ALLOWED_HOSTS, so a page on another
port of the same host (another local app) or plain http beside https could open the relay. Channels'
OriginValidator compares scheme, host and port, but only against a fixed list, and the same site runs on any port
(runserver on 8000, the tests on free ports). So a socket is accepted when its Origin is

- its own origin: the Origin's scheme, host and port equal the socket's (its Host header; http for ws, https for
  wss or with DJANGO_HTTPS), and that host is one of ALLOWED_HOSTS (which also stops DNS rebinding: another
  name pointed at this server is not an allowed host); or
- one of WEBSOCKET_ALLOWED_ORIGINS, exactly (scheme://host[:port]).

Anything else — another scheme, host or port, no Origin, several, `null`, a malformed one — is closed during the
handshake (daphne answers 403), as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]  # scheme, host (lower case, IPv6 without brackets), port


def parse_origin(text: str) -> Origin | None:
    """An Origin header value as (scheme, host, port), or None when it is not exactly scheme://host[:port]."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    if (
        parts.scheme not in DEFAULT_PORTS
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def own_origin(scope: dict, host_header: str) -> Origin | None:
    """The origin of a page served from the address this socket was opened to (its Host header)."""
    scheme = "https" if scope.get("scheme") == "wss" or getattr(settings, "HTTPS", False) else "http"
    domain, _ = split_domain_port(host_header)
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]  # what Django's request.get_host() allows then
    if not domain or not validate_host(domain, allowed_hosts):
        return None
    return parse_origin(f"{scheme}://{host_header}")


class SameOriginValidator:
    """ASGI middleware for websockets: only pages of this site (or of the configured origins) may open a socket."""

    def __init__(self, application, allowed_origins: Iterable[str] = ()):
        self.application = application
        self.allowed_origins = set()
        for origin in allowed_origins:
            parsed = parse_origin(origin)
            if parsed is None:
                raise ImproperlyConfigured(f"{origin!r} is not an origin (scheme://host[:port], http or https)")
            self.allowed_origins.add(parsed)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator only guards websocket connections")
        if self.allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    def allowed(self, scope: dict) -> bool:
        headers = scope.get("headers", [])
        origins = [value for name, value in headers if name.lower() == b"origin"]
        hosts = [value for name, value in headers if name.lower() == b"host"]
        if len(origins) != 1:
            return False
        origin = parse_origin(origins[0].decode("latin-1"))
        if origin is None:
            return False
        if origin in self.allowed_origins:
            return True
        return len(hosts) == 1 and origin == own_origin(scope, hosts[0].decode("latin-1"))
