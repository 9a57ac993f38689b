"""The playground's routes plus /bench/plain-json: parse the body, answer 201 with JSON, store nothing."""

import json
import uuid

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from playground.urls import urlpatterns as playground_urlpatterns


@csrf_exempt
def plain_json(request):
    body = json.loads(request.body)
    return JsonResponse({**body, "order_id": str(uuid.uuid4()), "status": "QUEUED"}, status=201)


urlpatterns = [path("bench/plain-json", plain_json), *playground_urlpatterns]
