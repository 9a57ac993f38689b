"""Routes of every topic's endpoints, under /kafka/topics/."""

from django.urls import path

from topics import views

urlpatterns = [
    path("", views.TopicList.as_view(), name="topics-list"),
    # Kafka's topic names hold letters, digits, ".", "_" and "-" only: never a "/".
    path("<str:name>", views.TopicDetail.as_view(), name="topics-detail"),
    path("<str:name>/records", views.TopicRecords.as_view(), name="topics-records"),
    path("<str:name>/partition-of", views.KeyPartition.as_view(), name="topics-partition-of"),
]
