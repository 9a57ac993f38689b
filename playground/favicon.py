"""/favicon.ico: browsers ask for it on every page that names no icon; it answers with the site's SVG icon.

The pages name the same file from the static files (`{% static "playground/favicon.svg" %}`); this view serves it
itself, so it answers under any server, with or without static file serving.
"""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON = "playground/favicon.svg"


@cache
def _icon() -> bytes:
    with open(finders.find(FAVICON), "rb") as file:
        return file.read()


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    return HttpResponse(_icon(), content_type="image/svg+xml")
