"""schemathesis against /api/schema/, in process: no server error, and every answer is one the schema documents.

Generated requests cover the schema's operations with valid and invalid inputs (all of schemathesis' checks).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from playground.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_schema_says(case):
    case.call_and_validate()
