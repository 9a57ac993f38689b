"""Domain errors to HTTP responses, in one table; everything else goes to DRF's own handler."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from orders.exceptions import InvalidOrder, InvalidTransition, OrderError, OrderNotFound

HTTP_STATUS = {
    InvalidOrder: status.HTTP_400_BAD_REQUEST,
    OrderNotFound: status.HTTP_404_NOT_FOUND,
    InvalidTransition: status.HTTP_409_CONFLICT,
}


def exception_handler(exc, context):
    if isinstance(exc, OrderError):
        body = exc.errors if isinstance(exc, InvalidOrder) else {"detail": str(exc)}
        return Response(body, status=HTTP_STATUS[type(exc)])
    return drf_exception_handler(exc, context)
