"""The web server's span names: the method and the Django route, so every request of one endpoint has one name."""

import pytest

from tracing.setup import span_details


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/orders/computers", "POST /api/orders/computers"),
        ("/api/orders/computers/1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed", "POST /api/orders/computers/<order_id>"),
        ("/tracing/traces/0af7651916cd43dd8448eb211c80319c", "POST /tracing/traces/<str:trace_id>"),
        ("/no/such/page", "POST /no/such/page"),
    ],
)
def test_a_request_is_named_by_its_route(path, name):
    assert span_details({"method": "POST", "path": path}) == (name, {"http.route": name.removeprefix("POST ")})
