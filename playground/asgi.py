"""ASGI entry point: HTTP through Django (websockets join here in the dashboard's relay)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

application = get_asgi_application()
