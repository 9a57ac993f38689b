"""OpenAPI post-processing: the schema says what the API refuses, so generated clients and fuzzers agree with it."""

# Request bodies whose serializer refuses unknown fields (OrderInputSerializer.to_internal_value).
CLOSED_REQUEST_BODIES = ("OrderInputRequest",)


def refuse_unknown_fields(result, generator, request, public):
    """drf-spectacular cannot state additionalProperties: false from a serializer; say it here."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in CLOSED_REQUEST_BODIES:
        if name in schemas:
            schemas[name]["additionalProperties"] = False
    return result
