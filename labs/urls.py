"""Routes of the labs' endpoints, under /labs/ (the page's view itself is /labs, served by dashboard/)."""

from django.urls import path

from labs import durable_views, views

urlpatterns = [
    path("", views.LabList.as_view(), name="labs-list"),
    path("durable/state", durable_views.DurableState.as_view(), name="labs-durable-state"),
    path("durable/brokers", durable_views.DurableBrokers.as_view(), name="labs-durable-brokers"),
    path("<str:lab>/check", views.LabCheck.as_view(), name="labs-check"),
    path("<str:lab>/reset", views.LabReset.as_view(), name="labs-reset"),
]
