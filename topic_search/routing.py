"""Websocket routes: /ws/search/ searches any topic on the server (topic_search.consumers)."""

from django.urls import path

from topic_search.consumers import SearchConsumer

websocket_urlpatterns = [
    path("ws/search/", SearchConsumer.as_asgi()),
]
