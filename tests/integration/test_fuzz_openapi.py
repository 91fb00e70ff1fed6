"""A property-based fuzzer over the API's own OpenAPI document (schemathesis): for every
operation, bodies and path parameters generated from the schema (valid ones, and ones that break
it), sent anonymously and with a school's token, through the local gateway in-process. No answer
may be a 5xx, nor fall outside what the document declares (status, content type, body schema);
a body that breaks the schema must be refused.

Bounded so that it fits the suite: EXAMPLES per operation, mode and caller, no shrinking
database, no deadline (a shared machine is slow at times: the check is on answers, not speed)."""
from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance, status_code_conformance)

from tests.accounts_support import active_school

EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
# Routes the fuzzer leaves out, and why: each has its own tests of what it refuses.
SKIPPED = {
    ("DELETE", "/me"): "closes the account the other examples use (tests/integration/test_accounts.py)",
    ("DELETE", "/sessions"): "signs the school out of every device (tests/integration/test_sessions.py)",
}


class GatewayApp:
    """The local API Gateway emulation (chalice's, with our gateway responses) as a WSGI app."""

    def __init__(self, http):
        self.http = http

    def __call__(self, environ, start_response):
        path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        response = self.http.request(environ["REQUEST_METHOD"], path, headers=headers, body=body)
        payload = response.body if isinstance(response.body, bytes) else (response.body or "").encode()
        reason = HTTPStatus(response.status_code).phrase if response.status_code in HTTPStatus._value2member_map_ else ""
        start_response(f"{response.status_code} {reason}", [(k, str(v)) for k, v in response.headers.items()])
        return [payload]


@pytest.fixture
def school_token(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


def _operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            yield operation


@pytest.mark.parametrize("caller", ["anonyme", "auto-ecole"])
def test_no_generated_request_gets_a_5xx_or_an_answer_outside_the_document(http, school_token, caller):
    document = json.loads(http.get("/openapi.json").body)
    schema = schemathesis.openapi.from_dict(document)
    app = GatewayApp(http)
    headers = {"Authorization": f"Bearer {school_token}"} if caller == "auto-ecole" else {}
    operations = list(_operations(schema))
    assert len(operations) >= 80

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
            def exchange(case):
                # A failure names the check, the answer and a curl command that reproduces it.
                case.validate_response(case.call(app=app), checks=CHECKS)

            try:
                exchange()
            except Unsatisfiable:  # nothing to break in this operation (no body, no parameter)
                assert mode is GenerationMode.NEGATIVE, operation.path
