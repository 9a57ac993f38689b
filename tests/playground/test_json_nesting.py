"""The nesting limit: measured as JSON nests (brackets in strings do not count), and a body deeper than the limit is
a 400 on every endpoint that reads JSON, before the view parses it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.request_limits import nests_deeper_than

# Strings full of what could confuse a bracket count: brackets, quotes, backslashes.
TRICKY_TEXT = st.text(st.sampled_from('[]{}"\\ab\n'), max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY_TEXT, inner, max_size=4),
    max_leaves=40,
)


def depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


def wrapped(value, levels: int, in_object: bool):
    for _ in range(levels):
        value = {"k": value} if in_object else [value]
    return value


@settings(max_examples=300)
@given(value=JSON_VALUES, extra=st.integers(0, 80), in_object=st.booleans(), limit=st.integers(0, 90))
def test_the_measured_depth_is_the_depth_json_nests(value, extra, in_object, limit):
    value = wrapped(value, extra, in_object)
    body = json.dumps(value, ensure_ascii=False).encode()
    assert nests_deeper_than(body, limit) == (depth(value) > limit), (depth(value), limit, body[:200])


@pytest.mark.parametrize("depth_", [100_000, 1000])
def test_unclosed_brackets_count_as_they_nest(depth_):
    assert nests_deeper_than(b"[" * depth_, 64)
    assert nests_deeper_than(b'{"a":' * depth_, 64)


ENDPOINTS = [
    "/api/orders/computers",
    "/dashboard/grpc/create",
    "/workbench/produce",
    "/workbench/grpc/call",
    "/workbench/grpc/stream",
]


@settings(max_examples=30, deadline=None)
@given(
    path=st.sampled_from(ENDPOINTS),
    levels=st.integers(65, 5000),
    in_object=st.booleans(),
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
)
def test_a_body_nested_deeper_than_the_limit_is_a_400_before_the_view(path, levels, in_object, content_type):
    from django.test import Client

    # Built as text: json.dumps itself recurses once per level.
    opening, closing = ('{"k": ', "}") if in_object else ("[", "]")
    body = opening * (levels - 1) + '{"created_by": "ana"}' + closing * (levels - 1)
    response = Client().post(path, body, content_type=content_type)
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"detail": "The body nests deeper than 64 levels."}


@pytest.mark.django_db
def test_a_body_at_the_limit_reaches_the_view(client):
    body = json.dumps({"created_by": "ana", "equipment": wrapped(["KEYBOARD"], 62, in_object=False)})
    response = client.post("/api/orders/computers", body, content_type="application/json")
    assert response.status_code == 400 and "equipment" in response.json(), "the serializer, not the limit, refused it"
