"""Property-based run of schemathesis over every documented API operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.factories import gen_bank, gen_token, gen_user

CHECKS = [checks.not_a_server_error, checks.response_schema_conformance, checks.content_type_conformance]
# Revoking the token under test would turn every later case into a 401.
SKIP = {("DELETE", "/api/v1/auth/token")}


@pytest.fixture
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_operation_survives_generated_requests(app, schema):
    """No generated request makes any documented operation fail with a 5xx or break its schema."""
    gen_bank(app, per_objective=4)
    user = gen_user(app, username="fuzzer")
    admin = gen_user(app, username="fuzzadmin", is_admin=True)
    tokens = {"user": gen_token(app, user), "admin": gen_token(app, admin)}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        token = tokens["admin" if "/admin/" in operation.path else "user"]

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            case.validate_response(case.call(), checks=CHECKS)

        check()
