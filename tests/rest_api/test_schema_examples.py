"""Swagger UI's "Try it out" works as shipped: every operation, sent with the example values the schema gives it,
is answered 2xx.

Each request is built the way Swagger UI builds it from /api/schema/: a request body from the media type's first
named example (the one its dropdown selects), or else sampled from the body's schema (a property's `example`, then
its `default`, then its first `enum` value, then its type's placeholder); a parameter from its `example` or
`default`, left out when optional and without either. A string with a `pattern` and no example is refused here:
Swagger UI would draw a random string for it, which may well fail validation. The one value a schema cannot give is
an order id in a path: as a person would, the test pastes the id the create operation answered.
"""

import json
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
# Run create first, so the operations on one order have an id to use; cancel last (it ends the order).
ORDER = ["api_orders_computers_create", "api_orders_computers_list", "api_orders_computers_retrieve"]


class NoExample(AssertionError):
    pass


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def schema(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        target = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def sample(schema: dict, node: dict, where: str):
    """The value Swagger UI's sampler puts in the editor for `node` (its generator, without the random parts)."""
    node = resolve(schema, node)
    if "example" in node:
        return node["example"]
    if "default" in node:
        return node["default"]
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in node:
            return sample(schema, node[combinator][0], where)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type", "object" if "properties" in node else None)
    if kind == "object":
        return {
            name: sample(schema, prop, f"{where}.{name}")
            for name, prop in node.get("properties", {}).items()
            if not resolve(schema, prop).get("readOnly")
        }
    if kind == "array":
        return [sample(schema, node.get("items", {}), f"{where}[]")]
    if kind == "string":
        if "pattern" in node:
            raise NoExample(f"{where}: a pattern and no example, so Swagger UI draws a random string")
        return {
            "date-time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "date": datetime.now(UTC).date().isoformat(),
            "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        }.get(node.get("format"), "string")
    return {"integer": 0, "number": 0, "boolean": True}.get(kind)


def operations(schema: dict):
    found = [
        (operation["operationId"], method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    return sorted(found, key=lambda op: ORDER.index(op[0]) if op[0] in ORDER else len(ORDER))


def request_bodies(schema: dict, operation: dict) -> dict[str, object]:
    """Each body Swagger UI offers for the operation, by example name (one sampled body when it names none)."""
    body = operation.get("requestBody")
    if body is None:
        return {"(no body)": None}
    media = body["content"]["application/json"]
    if media.get("examples"):
        return {name: example["value"] for name, example in media["examples"].items()}
    if "example" in media:
        return {"example": media["example"]}
    return {"sampled": sample(schema, media["schema"], operation["operationId"])}


def parameters(schema: dict, operation: dict, order_id: str | None) -> tuple[dict, dict]:
    path, query = {}, {}
    for parameter in operation.get("parameters", []):
        node = resolve(schema, parameter.get("schema", {}))
        if "example" in parameter or "example" in node or "default" in node:
            value = parameter.get("example", node.get("example", node.get("default")))
        elif parameter["name"] == "order_id" and parameter["in"] == "path":
            assert order_id, "no order id: the create operation did not run first"
            value = order_id
        elif parameter.get("required"):
            raise NoExample(f"{operation['operationId']}: required parameter {parameter['name']} has no example")
        else:
            continue
        (path if parameter["in"] == "path" else query)[parameter["name"]] = value
    return path, query


def test_every_operation_has_a_request_from_its_examples(schema):
    bodies = {op_id: request_bodies(schema, operation) for op_id, _, _, operation in operations(schema)}
    assert bodies["api_orders_computers_create"], bodies


def test_every_operation_succeeds_with_its_examples(api, schema):
    order_id = None
    answered = {}
    for op_id, method, path, operation in operations(schema):
        for name, body in request_bodies(schema, operation).items():
            path_values, query = parameters(schema, operation, order_id)
            url = path.format(**path_values)
            if query:
                url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
            kwargs = {} if body is None else {"data": json.dumps(body), "content_type": "application/json"}
            response = getattr(api, method)(url, **kwargs)
            answered[f"{op_id} ({name})"] = response.status_code
            assert 200 <= response.status_code < 300, (op_id, name, body, response.content.decode())
            if op_id == "api_orders_computers_create":
                order_id = response.json()["order_id"]
    assert set(answered) >= {
        f"{op_id} ({name})"
        for op_id, _, _, operation in operations(schema)
        for name in request_bodies(schema, operation)
    }


def test_the_sampled_create_body_is_valid_too(api, schema):
    """Swagger UI's "Schema" view and generated clients sample the body's schema itself, so it must be valid too."""
    media = schema["paths"]["/api/orders/computers"]["post"]["requestBody"]["content"]["application/json"]
    body = sample(schema, media["schema"], "OrderInputRequest")
    response = api.post("/api/orders/computers", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, (body, response.content.decode())
