"""Page links beside the course's `computer_orders` key, so the contract's clients keep working."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class ComputerOrderPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    results_key = "computer_orders"

    def get_paginated_response(self, data):
        return Response({
            "count": self.page.paginator.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            self.results_key: data,
        })

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"][self.results_key] = response["properties"].pop("results")
        response["required"] = ["count", self.results_key]
        return response
