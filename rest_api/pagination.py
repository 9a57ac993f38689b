"""Page links beside the course's `computer_orders` key, so the contract's clients keep working."""

import contextlib

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from orders import rules, selectors
from orders.exceptions import InvalidOrder


class ComputerOrderPagination(PageNumberPagination):
    page_size = rules.DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = rules.MAX_PAGE_SIZE
    results_key = "computer_orders"

    def requested_page_size(self, request) -> int | None:
        """The page_size parameter as a number (None when left out); its range is the domain's rule."""
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return None
        if len(text) <= 12:
            with contextlib.suppress(ValueError):
                return int(text)
        raise InvalidOrder({"page_size": ["A whole number is required."]})

    def get_page_size(self, request):
        return selectors.page_size(self.requested_page_size(request))

    def get_page_number(self, request, paginator):
        """An empty `page` is refused like any other non-number (DRF would quietly take page 1)."""
        if request.query_params.get(self.page_query_param) == "":
            raise InvalidOrder({"page": ["A whole number is required."]})
        return super().get_page_number(request, paginator)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                self.results_key: data,
            }
        )

    def get_schema_operation_parameters(self, view):
        """The page rules in the schema too, so clients (and schemathesis) know what is refused."""
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": rules.MAX_PAGE_SIZE},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"][self.results_key] = response["properties"].pop("results")
        response["required"] = ["count", self.results_key]
        return response
