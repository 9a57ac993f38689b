"""The API's paths answer their errors in JSON ({"detail": ...}), never with one of Django's HTML pages.

Under DEBUG those pages are the debug ones (a 404 lists the URL patterns, a 500 shows settings, paths and addresses),
which Django sends instead of any handler404/handler500; otherwise they are HTML a JSON client cannot read. So a
middleware, first in MIDDLEWARE to see what every other layer answered, replaces an error response on these paths
that is neither JSON nor one of DRF's (whose browsable API renders HTML for a browser on purpose). Django still logs
the error with its traceback.
"""

from __future__ import annotations

from http import HTTPStatus

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from rest_framework.response import Response as DrfResponse

# The REST API and its schema, /health, and the page's JSON endpoints (dashboard/urls.py): its gRPC gateway, the
# fulfilment panel's and the workbench's, every topic's (topics/urls.py) and the labs' (labs/urls.py).
API_PATH_PREFIXES = ("/api/", "/health", "/dashboard/", "/fulfilment/", "/workbench/", "/kafka/", "/labs/")
# Headers of the replaced response that describe its body; every other one (Allow, the security headers) is kept.
BODY_HEADERS = {"content-type", "content-length", "content-disposition"}


def _detail(request: HttpRequest, status: int) -> str:
    if status == HTTPStatus.NOT_FOUND:
        return "Not found."
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        return f'Method "{request.method}" not allowed.'
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return "A server error occurred; the web process's log has the details."
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return "The request failed."


def _as_json(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if (
        response.status_code < 400
        or not request.path.startswith(API_PATH_PREFIXES)
        or isinstance(response, DrfResponse)
        or response.get("Content-Type", "").startswith("application/json")
    ):
        return response
    replacement = JsonResponse({"detail": _detail(request, response.status_code)}, status=response.status_code)
    for name, value in response.items():
        if name.lower() not in BODY_HEADERS:
            replacement[name] = value
    replacement["Content-Length"] = str(len(replacement.content))
    replacement.cookies = response.cookies
    return replacement


def api_errors_as_json(get_response):
    """Middleware: see the module's doc."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            return _as_json(request, await get_response(request))

        return markcoroutinefunction(middleware)

    def middleware(request):
        return _as_json(request, get_response(request))

    return middleware


api_errors_as_json.sync_capable = True
api_errors_as_json.async_capable = True
