"""Routes of the fulfilment panel, under /fulfilment/."""

from django.urls import path

from dashboard.fulfilment_panel import views

urlpatterns = [
    path("state", views.FulfilmentState.as_view(), name="fulfilment-state"),
    path("marked", views.MarkedOrders.as_view(), name="fulfilment-marked"),
    path("controls", views.FulfilmentControls.as_view(), name="fulfilment-controls"),
    path("kill", views.KillMember.as_view(), name="fulfilment-kill"),
    path("recover", views.RecoverStuck.as_view(), name="fulfilment-recover"),
    path("broker", views.LocalBrokerControl.as_view(), name="fulfilment-broker"),
    # A group id may hold any character, "/" too: the path converter takes it whole.
    path("groups/<path:group>/reset", views.ResetGroupOffsets.as_view(), name="fulfilment-reset"),
]
