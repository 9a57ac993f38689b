"""Routes of the map's state, under /system/."""

from django.urls import path

from system_map import views

urlpatterns = [path("state", views.system_state, name="system-state")]
