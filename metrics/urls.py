"""Routes of the charts' series, under /metrics/."""

from django.urls import path

from metrics import views

urlpatterns = [
    path("rates", views.rates, name="metrics-rates"),
    path("lag", views.lag, name="metrics-lag"),
    path("latency", views.latencies, name="metrics-latency"),
]
