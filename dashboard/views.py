"""The dashboard page: one template for its views (Live, Topic, Consumer groups, REST and gRPC workbenches)."""

from django.conf import settings
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from orders.rules import Equipment


@ensure_csrf_cookie
def dashboard(request, name: str = ""):
    """The page, on whatever view its URL names; a topic's view (/topics/<name>) reads the name from the URL itself."""
    config = {
        "rest_url": reverse("order-list"),
        "health_url": reverse("health"),
        "grpc_url": reverse("grpc-create"),
        "ws_path": "/ws/orders/",
        # The topic search's socket, and the ceilings of its bounds (topic_search/).
        "search_ws_path": "/ws/search/",
        "search_limits": {
            "max_records": settings.SEARCH_MAX_RECORDS,
            "max_bytes": settings.SEARCH_MAX_BYTES,
            "max_seconds": settings.SEARCH_MAX_SECONDS,
            "max_matches": settings.SEARCH_MAX_MATCHES,
        },
        "fulfilment_state_url": reverse("fulfilment-state"),
        "fulfilment_marked_url": reverse("fulfilment-marked"),
        "fulfilment_controls_url": reverse("fulfilment-controls"),
        "fulfilment_kill_url": reverse("fulfilment-kill"),
        "fulfilment_recover_url": reverse("fulfilment-recover"),
        "fulfilment_broker_url": reverse("fulfilment-broker"),
        # A group's reset: this with the group id (URL-encoded) in place of GROUP-ID.
        "fulfilment_reset_url": reverse("fulfilment-reset", args=["GROUP-ID"]),
        "produce_url": reverse("workbench-produce"),
        # Every topic's endpoints: the list, and with a topic's name after it its details (and /records).
        "topics_url": reverse("topics-list"),
        # The labs' endpoints: the list, and with a lab's id after it its /check and /reset (labs/).
        "labs_url": reverse("labs-list"),
        "schema_url": reverse("schema") + "?format=json",
        "grpc_services_url": reverse("workbench-grpc-services"),
        "grpc_call_url": reverse("workbench-grpc-call"),
        "grpc_stream_url": reverse("workbench-grpc-stream"),
        # The wire inspector's URL for an order: this with the id in place of the zeros.
        "wire_url": reverse("workbench-wire", args=["00000000-0000-0000-0000-000000000000"]),
        "grpc_target": settings.GRPC_TARGET if settings.PLAYGROUND_LOCAL else "<rungrpc address>",
        # For the copy-as commands: what a terminal on this machine would name.
        "bootstrap_servers": settings.KAFKA_BOOTSTRAP_SERVERS if settings.PLAYGROUND_LOCAL else "<bootstrap servers>",
        "topic": settings.KAFKA_ORDERS_TOPIC,
        "newest_per_partition": 20,
        # The charts (metrics/): their series, and the chart library this server serves (node_modules, no CDN).
        "metrics_rates_url": reverse("metrics-rates"),
        "metrics_lag_url": reverse("metrics-lag"),
        "metrics_latency_url": reverse("metrics-latency"),
        "uplot_url": static("uplot/uPlot.esm.js"),
    }
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "config": config,
            "equipment": Equipment.values,
            # Where rungrpc listens is for the learner's grpcurl on a local playground; elsewhere it is an internal
            # address, which the page does not show.
            "grpc_target": settings.GRPC_TARGET if settings.PLAYGROUND_LOCAL else "",
            "topic": settings.KAFKA_ORDERS_TOPIC,
            "group_id": settings.FULFILMENT_GROUP,
        },
    )
