"""Every route the page calls: the page, its gRPC gateway, the workbench's and the fulfilment panel's endpoints."""

from django.urls import include, path

from dashboard.grpc_gateway import grpc_create
from dashboard.views import dashboard

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("dashboard/grpc/create", grpc_create, name="grpc-create"),
    path("fulfilment/", include("dashboard.fulfilment_panel.urls")),
    path("workbench/", include("dashboard.workbench.urls")),
]
