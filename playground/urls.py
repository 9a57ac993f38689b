"""Top-level routes: the dashboard, the REST API and its docs, health."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dashboard.grpc_gateway import grpc_create
from playground.health import health
from dashboard.views import dashboard

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("dashboard/grpc/create", grpc_create, name="grpc-create"),
    path("health", health, name="health"),
    path("api/", include("rest_api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]
