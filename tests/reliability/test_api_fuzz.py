"""Every API operation fuzzed from its own OpenAPI schema (schemathesis): no server error, and every answer
matches what the schema documents (status code, content type, headers, body).

Against the live server over HTTP, authenticated with a store's API token, a bounded number of examples per
operation. Two checks that judge the requests rather than the answers are left out:
`negative_data_rejection`, because DRF coerces on purpose (`0` for a text field becomes "0", `0` for a boolean
is false), and `positive_data_acceptance`, because a cart needs the customer's email or phone and an order the
cart or the customer: rules across fields that the schema states in words, not in JSON Schema.

The schema is the one `/api/schema/` serves, generated when the tests are collected (schemathesis's lazy
`from_fixture` loader does not run under pytest 9) and compared with the served one.
"""

from __future__ import annotations

import json

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings

from tests.payloads import API_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES_PER_OPERATION = 30
REQUEST_CHECKS = [schemathesis.checks.negative_data_rejection, schemathesis.checks.positive_data_acceptance]


def api_schema() -> dict:
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(api_schema())


def test_the_fuzzed_schema_is_the_one_the_api_serves(live_server):
    served = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert served.status_code == 200
    assert served.json() == api_schema()


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_every_api_operation_answers_without_a_server_error_and_as_documented(case, live_server, custom_store):
    case.call_and_validate(base_url=live_server.url, headers={"Authorization": f"Bearer {API_TOKEN}"},
                           excluded_checks=REQUEST_CHECKS)
