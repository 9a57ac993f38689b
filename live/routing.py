"""Websocket routes: /ws/orders/ is the live view of the orders topic."""

from django.urls import path

from live.consumers import OrdersConsumer

websocket_urlpatterns = [
    path("ws/orders/", OrdersConsumer.as_asgi()),
]
