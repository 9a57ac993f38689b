"""Routes of the workbench, under /workbench/."""

from django.urls import path

from workbench import views

urlpatterns = [
    path("produce", views.ProduceRecord.as_view(), name="workbench-produce"),
]
