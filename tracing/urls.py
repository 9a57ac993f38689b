"""Routes of the kept spans, under /tracing/."""

from django.urls import path

from tracing import views

urlpatterns = [
    path("traces/<str:trace_id>", views.trace_detail, name="tracing-trace"),
    path("orders/<uuid:order_id>", views.order_traces, name="tracing-order"),
    path("spans", views.browser_spans, name="tracing-spans"),
]
