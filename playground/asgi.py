"""ASGI entry point: HTTP through Django, websockets (origin-checked) through Channels to the orders relay and the
topic search.

Importing it also sets up the daphne server runserver starts next: its connections refuse what the request limits
do not allow before they read it (playground/request_limits.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

# Set Django up before anything imports consumers or models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from live.routing import websocket_urlpatterns as live_routes  # noqa: E402
from playground import library_internals  # noqa: E402
from playground.request_limits import RequestLimits  # noqa: E402
from playground.websocket_origin import SameOriginValidator  # noqa: E402
from topic_search.routing import websocket_urlpatterns as search_routes  # noqa: E402
from tracing import setup as tracing  # noqa: E402

library_internals.screen_daphne_requests(RequestLimits.from_settings())

# runserver serves /static/ under DEBUG only; a local playground serves it with DEBUG off too (the page's scripts and
# styles), with the same handler.
http_application = tracing.asgi(
    ASGIStaticFilesHandler(django_application)
    if settings.PLAYGROUND_LOCAL and not settings.DEBUG
    else django_application
)

application = ProtocolTypeRouter(
    {
        "http": http_application,
        # Only this site's own pages (same scheme, host and port; the host in ALLOWED_HOSTS) or the origins in
        # WEBSOCKET_ALLOWED_ORIGINS may open a socket: another site's page cannot, with or without a visitor's cookies.
        # No AuthMiddlewareStack: the relay serves everyone the same topic, and its session wrapper cost time on
        # every frame sent (bench/fanout.py).
        "websocket": SameOriginValidator(URLRouter(live_routes + search_routes), settings.WEBSOCKET_ALLOWED_ORIGINS),
    }
)
