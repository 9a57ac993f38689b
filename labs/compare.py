"""Lab 8, internal against external: REST and gRPC side by side for the same order, as a table the learner fills in
by running the comparison (labs.transports, through `manage.py lab_compare`). The Check reads the learner's newest
run; the Reset deletes the learner's runs (the two orders it created stay, as history).
"""

from __future__ import annotations

import shlex

from labs import checks
from labs.learners import created_by
from labs.models import TransportRun

DEFAULT_CALLS = 200
# What the table says that is no measurement: what a browser can call, and what a client needs.
BROWSER = ("yes: fetch() from the page, or the URL in the address bar", "no: needs gRPC-Web and a proxy")
CLIENT = ("curl, or any HTTP library", "code generated from the .proto (or grpcurl with reflection)")


def lab(learner: str, base_url: str) -> dict:
    from labs.catalogue import grpc_target, step  # here, not at the top: the catalogue imports this module

    target = grpc_target()
    name = created_by("compare", learner)
    run = (
        f".venv/bin/python manage.py lab_compare --learner {learner} --calls {DEFAULT_CALLS} "
        f"--base-url {shlex.quote(base_url)} --target {target}"
    )
    return {
        "id": "compare",
        "title": "Internal against external: REST and gRPC side by side",
        "goal": f"Create the same order as `{name}` over REST and over gRPC, read it back {DEFAULT_CALLS} times over "
        "each, and fill in the table: bytes on the wire, latency, what a browser can call, what a client needs.",
        "minutes": 5,
        "steps": [
            step(
                "Run the comparison. It weighs each call through a byte counter on 127.0.0.1 (body alone, and with "
                "headers and framing), times the reads one at a time on one connection each, prints the table and "
                "keeps it for the Check:",
                run,
            ),
            step(
                "What a browser can call: this link is the REST API, answered as JSON in the address bar. A page "
                "cannot speak gRPC (HTTP/2 trailers are out of fetch()'s reach): the gRPC workbench goes through "
                "this web server.",
                link=f"{base_url}/api/orders/computers?created_by={name}",
            ),
            step(
                "What a REST client needs: curl and the URL.",
                f"curl -s {shlex.quote(f'{base_url}/api/orders/computers?created_by={name}')}",
            ),
            step(
                "What a gRPC client needs: code generated from the proto (lab 2), or grpcurl, which asks the "
                "server's reflection for the schema:",
                f".tools/grpcurl -plaintext {target} describe OrderService",
            ),
        ],
        "watch": {"text": "your two orders arrive in the Live view, one over each transport", "link": "/"},
        "check_reads": "your newest comparison run, as `manage.py lab_compare` recorded it",
    }


def table(figures: dict) -> list[list[str]]:
    """The lab's table, [what, REST, gRPC] per row, from one run's figures."""
    rest, grpc = figures["rest"], figures["grpc"]

    def pair(key: str, index: int) -> list[str]:
        return [f"{side[key][index]:g}" for side in (rest, grpc)]

    def each(key: str, unit: str = "") -> list[str]:
        return ["–" if side[key] is None else f"{side[key]:g}{unit}" for side in (rest, grpc)]

    return [
        ["", "REST (JSON, HTTP/1.1)", "gRPC (protobuf, HTTP/2)"],
        ["create: request body, bytes", *pair("create_body", 0)],
        ["create: response body, bytes", *pair("create_body", 1)],
        ["create on a new connection: bytes sent on the wire", *pair("create_wire", 0)],
        ["create on a new connection: bytes received on the wire", *pair("create_wire", 1)],
        ["read: response body, bytes", *pair("read_body", 1)],
        ["read on the open connection: bytes sent + received on the wire", *_sums(rest, grpc)],
        [f"{figures['calls']} reads: p50, ms", *each("p50_ms")],
        [f"{figures['calls']} reads: p99, ms", *each("p99_ms")],
        [f"{figures['calls']} reads: calls/s", *each("calls_per_second")],
        ["CPU per read, client, ms", *each("client_cpu_ms")],
        ["CPU per read, server, ms", *each("server_cpu_ms")],
        ["a browser can call it", *BROWSER],
        ["a client needs", *CLIENT],
    ]


def _sums(rest: dict, grpc: dict) -> list[str]:
    return [f"{side['read_wire'][0]:g} + {side['read_wire'][1]:g}" for side in (rest, grpc)]


def check(learner: str) -> dict:
    run = TransportRun.objects.filter(learner=learner).first()
    if run is None:
        return checks.result(
            False,
            "no comparison run of yours yet: run the first step's command.",
            created_by=created_by("compare", learner),
        )
    rest, grpc = run.figures["rest"], run.figures["grpc"]
    seen = (
        f"your run of {run.calls} reads each (order `{run.figures['order_id'][:8]}`): p50 {rest['p50_ms']:g} ms over "
        f"REST against {grpc['p50_ms']:g} ms over gRPC, p99 {rest['p99_ms']:g} against {grpc['p99_ms']:g}, "
        f"{rest['calls_per_second']:g} against {grpc['calls_per_second']:g} calls/s; the create's body was "
        f"{rest['create_body'][0]} bytes of JSON against {grpc['create_body'][0]} of protobuf, and "
        f"{rest['create_wire'][0]:g} against {grpc['create_wire'][0]:g} bytes sent on the wire."
    )
    return checks.result(True, seen, ran_at=run.ran_at.isoformat(), table=table(run.figures), figures=run.figures)


def reset(learner: str) -> dict:
    deleted, _ = TransportRun.objects.filter(learner=learner).delete()
    return {
        "undone": [f"{deleted} comparison run(s)"] if deleted else [],
        "seen": f"deleted {deleted} comparison run(s) of yours; the orders of `{created_by('compare', learner)}` "
        "stay as history.",
    }


def record(learner: str, figures: dict) -> TransportRun:
    return TransportRun.objects.create(learner=learner, calls=figures["calls"], figures=figures)
