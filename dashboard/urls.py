"""Every route the page calls: the page (one template for each of its views' URLs), its gRPC gateway, the
workbench's and the fulfilment panel's endpoints."""

from django.urls import include, path

from dashboard.grpc_gateway import grpc_create
from dashboard.views import dashboard

urlpatterns = [
    path("", dashboard, name="dashboard"),
    # The page's other views: the same page, which shows the view its URL names (dashboard/static/dashboard/router.js).
    path("topic", dashboard, name="dashboard-topic"),
    path("topics", dashboard, name="dashboard-topics"),
    path("topics/<str:name>", dashboard, name="dashboard-topic-details"),
    path("traces/<str:name>", dashboard, name="dashboard-trace"),
    path("groups", dashboard, name="dashboard-groups"),
    path("map", dashboard, name="dashboard-map"),
    path("rest", dashboard, name="dashboard-rest"),
    path("grpc", dashboard, name="dashboard-grpc"),
    path("dashboard/grpc/create", grpc_create, name="grpc-create"),
    path("fulfilment/", include("dashboard.fulfilment_panel.urls")),
    path("workbench/", include("dashboard.workbench.urls")),
]
