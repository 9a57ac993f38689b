"""Refusals as grpcurl, grpcui and the dashboard read them, over a real channel: the google.rpc.BadRequest detail,
the field-errors trailer, and bounds on both whatever the client sent."""

import base64
import json

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from grpc_status import rpc_status

from grpc_bridge import translate
from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from grpc_bridge.server import build_server
from orders import rules, services
from orders.exceptions import InvalidOrder
from orders.models import Order

MOUSE = 1
# Clients start refusing trailers past 8 KB (and always past 16 KB), with RESOURCE_EXHAUSTED for the whole call.
CLIENT_METADATA_LIMIT = 8 * 1024


@pytest.fixture
def roomy_stub(transactional_db):
    """A server that accepts requests up to the default 4 MB, so a 1 MB field reaches the domain's rules."""
    running = build_server("127.0.0.1:0", max_workers=4)
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield orders_pb2_grpc.OrderServiceStub(channel)
    running.stop(grace=1).wait(5)


def refusal(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=10)
    return caught.value


def violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    """The BadRequest field violations of a refusal, read the standard way."""
    status = rpc_status.from_call(error)  # raises if its code or message differ from the call's
    assert status is not None, "no grpc-status-details-bin trailer"
    assert status.code == code_pb2.INVALID_ARGUMENT
    [detail] = status.details
    bad_request = error_details_pb2.BadRequest()
    assert detail.Unpack(bad_request)
    return [(v.field, v.description) for v in bad_request.field_violations]


def trailer_pairs(error: grpc.RpcError) -> list[tuple[str, str]]:
    field_errors = json.loads(dict(error.trailing_metadata())[translate.FIELD_ERRORS_KEY])
    return [(field, message) for field, messages in field_errors.items() for message in messages]


def wire_size(error: grpc.RpcError) -> int:
    """What the status and trailers weigh against a client's metadata limit: HPACK counts 32 bytes per entry,
    grpc-message goes percent-encoded and binary values base64-encoded."""
    details = (error.details() or "").encode()
    size = len("grpc-message") + 32 + sum(1 if 0x20 <= byte <= 0x7E and byte != 0x25 else 3 for byte in details)
    for key, value in error.trailing_metadata():
        size += len(key) + 32 + len(base64.b64encode(value) if isinstance(value, bytes) else value)
    return size


EVERYTHING_WRONG = {"created_by": " ", "equipment": [MOUSE] * 21, "created_at": "soon", "status": 9}


def test_bad_request_detail_lists_the_same_fields_and_messages_as_the_trailer(stub):
    error = refusal(stub.Create, pb.OrderMessage(**EVERYTHING_WRONG))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    expected = rules.order_errors(created_by=" ", equipment=["MOUSE"] * 21, created_at="soon", status="9")
    pairs = [(field, message) for field, messages in expected.items() for message in messages]
    assert violations(error) == trailer_pairs(error) == pairs
    assert {field for field, _ in pairs} == {"created_by", "equipment", "created_at", "status"}
    # The message is the domain's summary, as before the detail was added.
    assert error.details() == str(InvalidOrder(expected))


def test_reflection_describes_the_detail_so_grpcurl_can_print_it(channel):
    database = ProtoReflectionDescriptorDatabase(channel)
    assert database.FindFileContainingSymbol("google.rpc.BadRequest").name == "google/rpc/error_details.proto"


@pytest.mark.parametrize("request_fields", [{"page_size": 501}, {"page_token": "abc"}])
def test_list_refusals_carry_the_detail_too(stub, request_fields):
    error = refusal(stub.List, pb.ListRequest(**request_fields))
    [(field, _)] = violations(error)
    assert violations(error) == trailer_pairs(error)
    assert field in error.details()


def test_a_one_megabyte_created_at_is_invalid_argument_with_a_short_message(roomy_stub):
    error = refusal(
        roomy_stub.Create, pb.OrderMessage(created_by="ana", equipment=[MOUSE], created_at="2026-" + "9" * 1_000_000)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    [(field, message)] = violations(error)
    assert field == "created_at" and len(message) <= translate.MAX_VIOLATION_CHARS
    assert trailer_pairs(error) == [(field, message)]
    assert len(error.details().encode()) <= translate.MAX_DETAILS_BYTES
    assert wire_size(error) < 2048
    assert not Order.objects.exists()


def test_huge_unknown_numbers_everywhere_are_invalid_argument(roomy_stub):
    huge = 2**31 - 1
    error = refusal(
        roomy_stub.Create,
        pb.OrderMessage(
            created_by="é" * 100_000,
            equipment=[huge - n for n in range(20)],
            status=huge,
            created_at="\U0001f600" * 250_000,
        ),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {field for field, _ in violations(error)} == {"created_by", "equipment", "status", "created_at"}
    assert all(len(message) <= translate.MAX_VIOLATION_CHARS for _, message in violations(error))
    assert violations(error) == trailer_pairs(error)
    assert wire_size(error) < 4096


def test_an_unknown_id_of_a_megabyte_is_not_found_with_a_short_message(roomy_stub):
    error = refusal(roomy_stub.GetOrder, pb.OrderId(id="\u00e9" * 1_000_000))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert len(error.details().encode()) <= translate.MAX_DETAILS_BYTES and error.details().endswith("\u2026")


@pytest.mark.parametrize("text", ["x", "\u00e9", "\U0001f600", "%"], ids=["ascii", "latin", "emoji", "percent"])
def test_the_transport_bounds_what_any_rule_could_echo(roomy_stub, monkeypatch, text):
    """Today's rules quote at most 40 characters of a value; a future rule that quotes it all, on many fields,
    still gets INVALID_ARGUMENT, never RESOURCE_EXHAUSTED caused by our own trailers."""
    errors = {f"field_{n}": [text * 100_000, f"second message of field {n}"] for n in range(50)}

    def refuse(**_fields):
        raise InvalidOrder(errors)

    monkeypatch.setattr(services, "create_order", refuse)
    for _ in range(10):  # between 8 and 16 KB a client refuses metadata at random: one pass would prove little
        error = refusal(roomy_stub.Create, pb.OrderMessage(created_by="ana", equipment=[MOUSE]))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    pairs = violations(error)
    assert pairs == trailer_pairs(error)
    assert pairs[0][0] == "field_0" and pairs[0][1].startswith(text * 30) and pairs[0][1].endswith("\u2026")
    assert all(len(message) <= translate.MAX_VIOLATION_CHARS for _, message in pairs)
    assert 2 <= len(pairs) < 100, "a message of any size leaves room for others"
    assert error.details().endswith(f"({100 - len(pairs)} more messages left out)")
    assert len(error.details().encode()) <= translate.MAX_DETAILS_BYTES
    assert wire_size(error) < CLIENT_METADATA_LIMIT - 1024


def test_field_errors_the_domain_sends_today_pass_unchanged():
    errors = rules.order_errors(**EVERYTHING_WRONG | {"equipment": ["9" * 500] * 20, "status": "7" * 500})
    assert translate.bounded_field_errors(errors) == (errors, 0)


def test_clipping_counts_characters_and_bytes():
    assert translate.clipped("abc", 3) == "abc" and translate.clipped("abcd", 3) == "ab\u2026"
    assert translate.clipped("\ud800", 5) == "?"  # a lone surrogate cannot travel as UTF-8
    clipped = translate.clipped_details("\u00e9" * 1000, 101)
    assert len(clipped.encode()) <= 101 and clipped.endswith("\u2026")
