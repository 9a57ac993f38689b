"""CSRF for what another web site's page can make a visitor's browser send, and for nothing else.

DRF exempts its views from Django's CsrfViewMiddleware and checks CSRF only inside SessionAuthentication
(`enforce_csrf`); with no authentication class at all, a plain HTML form on any site could place and cancel orders.
`CrossSiteFormCsrf` logs nobody in and runs that same check — Django's own: the Origin header, then the token —
on every unsafe request a page elsewhere can send without a CORS preflight: a form post (urlencoded, multipart,
text/plain), or a fetch() with some other body or none.

Left out, so they need no token:
- `application/json`: a browser sends it to another origin only after a preflight, which this site never allows.
  So curl, `requests`, the dashboard's fetch() and the browsable API's raw-data form keep working as before.
- no body, no Content-Type and no Origin header: `curl -X POST …/cancel`, `requests.post(…/cancel)`. Browsers put
  an Origin header on every POST (the Fetch standard), so a cross-site fetch() with no body is still checked.

The browsable API's HTML form posts this site's `csrfmiddlewaretoken` and passes.
"""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from playground.library_internals import csrf_refusal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HINT = (
    "A form must come from this site's own page, with its csrfmiddlewaretoken; "
    "API clients send JSON (Content-Type: application/json), which needs no token."
)


def _media_type(request: Request) -> str:
    return request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()


def needs_csrf_check(request: Request) -> bool:
    """Whether another site's page could have sent this request without a preflight (see the module doc)."""
    if request.method in SAFE_METHODS:
        return False
    media_type = _media_type(request)
    if media_type == "application/json":
        return False
    has_body = request.META.get("CONTENT_LENGTH", "") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in request.META
    return bool(media_type or has_body or "HTTP_ORIGIN" in request.META)


class CrossSiteFormCsrf(BaseAuthentication):
    """Authenticates nobody; refuses (403) a request that could be a cross-site forgery and fails the CSRF check."""

    def authenticate(self, request: Request):
        if needs_csrf_check(request):
            reason = csrf_refusal(request)
            if reason:
                raise PermissionDenied(f"CSRF Failed: {reason.rstrip('.')}. {HINT}")
        return None
