"""The page's JSON endpoints answer refused input in one way, here: a 400 with {field: [messages]}."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from django.http import JsonResponse

from orders.exceptions import InvalidInput


def field_errors_as_400(view: Callable) -> Callable:
    """Wrap a view function or a view class's handler method, sync or async: InvalidInput becomes the 400."""
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def answer_async(*args, **kwargs):
            try:
                return await view(*args, **kwargs)
            except InvalidInput as refused:
                return _bad_request(refused)

        return answer_async

    @functools.wraps(view)
    def answer(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except InvalidInput as refused:
            return _bad_request(refused)

    return answer


def _bad_request(refused: InvalidInput) -> JsonResponse:
    return JsonResponse(refused.errors, status=400)
