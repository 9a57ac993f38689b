"""ASGI entry point: HTTP through Django, websockets (origin-checked) through Channels to the orders relay."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

# Set Django up before anything imports consumers or models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_application,
    # The Origin must be one of ALLOWED_HOSTS: another site's page cannot open a socket with a visitor's cookies.
    # No AuthMiddlewareStack: the relay serves everyone the same topic, and its session wrapper cost time on
    # every frame sent (bench/fanout.py).
    "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
})
