"""Top-level routes: the page (its own routes in dashboard/urls.py), the REST API and its docs, health, the icon,
admin."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from playground.favicon import favicon
from playground.health import health

urlpatterns = [
    path("", include("dashboard.urls")),
    path("kafka/topics/", include("topics.urls")),
    path("health", health, name="health"),
    path("favicon.ico", favicon, name="favicon"),
    path("api/", include("rest_api.urls")),
    path("tracing/", include("tracing.urls")),
    path("system/", include("system_map.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline, so no script exception is
    # needed. Its page has one inline <style> and its stylesheet draws icons as data: SVG images: those two only.
    path(
        "api/docs/",
        csp_update({"style-src": ["'self'", "'unsafe-inline'"], "img-src": ["'self'", "data:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="swagger-ui",
    ),
    path("admin/", admin.site.urls),
]
