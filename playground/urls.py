"""Top-level routes: the dashboard, the REST API and its docs, the fulfilment panel, the workbench, health."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dashboard.grpc_gateway import grpc_create
from playground.health import health
from dashboard.views import dashboard

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("dashboard/grpc/create", grpc_create, name="grpc-create"),
    path("health", health, name="health"),
    path("api/", include("rest_api.urls")),
    path("fulfilment/", include("fulfilment.urls")),
    path("workbench/", include("workbench.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline, so no script exception is
    # needed. Its page has one inline <style> and its stylesheet draws icons as data: SVG images: those two only.
    path("api/docs/", csp_update({"style-src": ["'self'", "'unsafe-inline'"], "img-src": ["'self'", "data:"]})(
        SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    path("admin/", admin.site.urls),
]
