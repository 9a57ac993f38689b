"""The REST transport: check the shape of the input, call one service, render the result."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from orders import selectors, services
from orders.rules import Status
from playground.library_internals import update_csp
from rest_api.pagination import ComputerOrderPagination
from rest_api.serializers import OrderInputSerializer, OrderSerializer

ERROR_RESPONSES = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors: {field: [message, ...]}"),
    403: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description='A form post without this site\'s CSRF token (JSON needs none): {"detail": "CSRF Failed: ..."}',
    ),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such order"),
    "404-page": OpenApiResponse(OpenApiTypes.OBJECT, description='No such page: {"detail": "Invalid page."}'),
    409: OpenApiResponse(OpenApiTypes.OBJECT, description="The order can no longer be cancelled"),
    415: OpenApiResponse(OpenApiTypes.OBJECT, description="Send application/json"),
}

# The browsable API's pages (DRF's templates, our equipment selects, Pygments' <style>) carry inline styles, so
# those pages alone add 'unsafe-inline' for styles to the site's CSP (playground/settings.py). Inline script stays
# refused: styles cannot run code, and everything an order holds is escaped by the templates.
BROWSABLE_API_CSP = {"style-src": ["'self'", "'unsafe-inline'"]}


@extend_schema_view(
    list=extend_schema(
        summary="List orders, newest first",
        parameters=[
            OpenApiParameter("status", enum=Status.values, description="Only orders in this status"),
            OpenApiParameter("created_by", str, description="Only orders by this person"),
        ],
        responses={200: OrderSerializer(many=True), 400: ERROR_RESPONSES[400], 404: ERROR_RESPONSES["404-page"]},
    ),
    create=extend_schema(
        summary="Place an order (also published to Kafka as order.created)",
        # JSON is the API; the form encodings the parsers also take exist for the browsable API's own form.
        request={"application/json": OrderInputSerializer},
        # Swagger UI's "Try it out" starts from the first of these; each is a valid order (tests/rest_api).
        examples=[
            OpenApiExample(
                "A desk set",
                value={
                    "created_by": "ana",
                    "status": "QUEUED",
                    "created_at": "2026-01-31T12:00:00Z",
                    "equipment": ["KEYBOARD", "MOUSE", "MONITOR"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Only what is required",
                description="status defaults to QUEUED, created_at to the time the server stores the order.",
                value={"created_by": "ana", "equipment": ["WEBCAM"]},
                request_only=True,
            ),
            OpenApiExample(
                "Version 2: with a delivery note",
                description="delivery_note is optional; the order's event then carries schema-version 2.",
                value={
                    "created_by": "ana",
                    "equipment": ["MONITOR"],
                    "delivery_note": "Leave it at reception, desk 4.",
                },
                request_only=True,
            ),
        ],
        responses={
            201: OrderSerializer,
            400: ERROR_RESPONSES[400],
            403: ERROR_RESPONSES[403],
            415: ERROR_RESPONSES[415],
        },
    ),
    retrieve=extend_schema(summary="One order", responses={200: OrderSerializer, 404: ERROR_RESPONSES[404]}),
)
class ComputerOrderViewSet(viewsets.GenericViewSet):
    """Computer orders, the course's REST contract."""

    lookup_field = "order_id"
    lookup_value_regex = "[^/]+"
    pagination_class = ComputerOrderPagination
    serializer_class = OrderSerializer

    def get_serializer_class(self):
        # The browsable API builds its POST form from this, on the list page too.
        if self.action in ("list", "create") and self.request.method == "POST":
            return OrderInputSerializer
        return OrderSerializer

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(getattr(response, "accepted_renderer", None), BrowsableAPIRenderer):
            update_csp(response, BROWSABLE_API_CSP)  # for the HTML rendering only
        return response

    def list(self, request: Request) -> Response:
        orders = selectors.list_orders(
            status=request.query_params.get("status"),
            created_by=request.query_params.get("created_by"),
            page_size=self.paginator.requested_page_size(request),
        )
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        payload = OrderInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order = services.create_order(source="rest", **payload.validated_data)
        location = reverse("order-detail", kwargs={"order_id": order.order_id}, request=request)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED, headers={"Location": location})

    def retrieve(self, request: Request, order_id: str) -> Response:
        return Response(OrderSerializer(selectors.get_order(order_id=order_id)).data)

    @extend_schema(
        summary="Cancel a QUEUED or PROCESSING order (published as order.status_changed)",
        request=None,
        responses={
            200: OrderSerializer,
            403: ERROR_RESPONSES[403],
            404: ERROR_RESPONSES[404],
            409: ERROR_RESPONSES[409],
        },
    )
    @action(detail=True, methods=["post"], serializer_class=None)
    def cancel(self, request: Request, order_id: str) -> Response:
        return Response(OrderSerializer(services.cancel_order(order_id=order_id, source="rest")).data)
