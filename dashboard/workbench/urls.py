"""Routes of the workbench, under /workbench/."""

from django.urls import path

from dashboard.workbench import views
from dashboard.workbench.grpc_stream import grpc_stream

urlpatterns = [
    path("produce", views.ProduceRecord.as_view(), name="workbench-produce"),
    path("grpc/services", views.GrpcServices.as_view(), name="workbench-grpc-services"),
    path("grpc/call", views.GrpcCall.as_view(), name="workbench-grpc-call"),
    path("grpc/stream", grpc_stream, name="workbench-grpc-stream"),
    path("wire/<str:order_id>", views.WireInspector.as_view(), name="workbench-wire"),
]
