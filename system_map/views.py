"""GET /system/state: what the map draws (system_map.state)."""

from django.db import DatabaseError
from django.http import JsonResponse

from system_map import state


def system_state(request) -> JsonResponse:
    try:
        return JsonResponse(state.system_state())
    except DatabaseError as exc:
        return JsonResponse({"detail": f"The database cannot be asked: {str(exc)[:200]}"}, status=503)
