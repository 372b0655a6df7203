"""schemathesis over every operation of /api/v1/openapi.json, with every check it has.

What runs:
- every operation the served document lists (read from it at run time, so a route added later is
  held to the same checks without touching this file), with FUZZ_EXAMPLES examples of schema-valid
  data and as many of schema-invalid data (when the operation takes any input);
- every check in schemathesis's registry (`CHECKS.get_all()`), `positive_data_acceptance` and
  `negative_data_rejection` included: the document must say exactly what the server accepts;
- the state machine over the document's `links` (POST /quizzes -> answer -> submit, a study
  session, a bookmark, a note, a goal...), with the stateful checks (use_after_free,
  ensure_resource_availability) that need its history.

Runs are reproducible: hypothesis is derandomized (`derandomize=True`: its seed comes from the
test itself), with no example database and no shrinking phase (a failure is reported as found, and
an operation stops after three, which keeps a run's time bounded). The state machine starts each
scenario from the same data; because responses feed later steps, hypothesis may call a replay
inconsistent (`Flaky`), which ends the run early as it does in schemathesis's own engine, after at
least STATE_MACHINE_MIN_SCENARIOS scenarios.

object_level_authorization compares what several identities see and only acts when schemathesis
is given more than one; with one token per role it has nothing to compare (tests/auth's
permission matrix covers other users' objects).

What a route author must do so an operation passes (docs/API.md, "Conventions"):
- describe every input with the schema that validates it (`@bp.arguments`), including what the
  service checks later: lengths, patterns, ranges and enums (`exam_type_field` for exam slugs);
- document every status the operation answers: `@bp.response`/`alt_response` for successes and
  `@bp.alt_response(status, response=error_response(status))` for the domain errors it raises
  (404, 409, 429...). 400, 401, 403, 404 for path parameters, 413 and 415 are added from the
  operation's shape (`webapp.api.shape_errors`);
- where a rule cannot be said in OpenAPI 3.0 (a field that needs another, a password policy),
  add the operation and the one check to EXCLUDED below, saying why.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode

from tests.factories import gen_bank, gen_token, gen_user
from webapp.api import ADMIN_PREFIX
from webapp.auth.services import resolve_token
from webapp.extensions import db, limiter

FUZZ_EXAMPLES = 100  # per operation and generation mode (the issue asks for at least 100)
STATE_MACHINE_SCENARIOS = 40
STATE_MACHINE_STEPS = 12
STATE_MACHINE_MIN_SCENARIOS = 20  # scenarios that must have run before a replay may end the run early

# (method, path) -> {check name: why it cannot hold for this operation}. Only rules OpenAPI 3.0 can't
# state, or answers that depend on the data rather than on the request.
DOMAIN_NEEDS_EXAM = ("`domain` needs `exam_type` (EXAM_TYPE_REQUIRED) and must be an objective of that exam: "
                     "a dependency between two query parameters, which OpenAPI 3.0 cannot state")
EMPTY_SOURCE = ("a source the learner's history leaves empty (no missed, bookmarked or marked question, or none "
                "with that tag) is a 400 EMPTY_SOURCE on `source`: it depends on the data, not on the request")
EXCLUDED: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/v1/questions"): {"positive_data_acceptance": DOMAIN_NEEDS_EXAM},
    ("GET", "/api/v1/questions/bookmarks"): {"positive_data_acceptance": DOMAIN_NEEDS_EXAM},
    ("GET", "/api/v1/questions/quiz"): {
        "positive_data_acceptance": f"{EMPTY_SOURCE}; and in the query string `tag` needs source bookmarked and a "
                                    "simulation (mode exam) source all, dependencies OpenAPI 3.0 cannot state"},
    ("POST", "/api/v1/quizzes"): {"positive_data_acceptance": EMPTY_SOURCE},
    ("POST", "/api/v1/study-sessions"): {"positive_data_acceptance": EMPTY_SOURCE},
    **{("POST", f"/api/v1/study-sessions/{{session_id}}/{action}"): {
        "positive_data_acceptance": "a question_id that is not one of the session's is a 400 NOT_IN_SESSION, "
                                    "and which ids belong depends on the session's draw"}
       for action in ("answers", "skip", "reveal")},
    ("PUT", "/api/v1/quizzes/{quiz_id}/answers/{question_id}"): {
        "positive_data_acceptance": "a confidence rating on an exam simulation is a 400 CONFIDENCE_NOT_ALLOWED (the "
                                    "real exam asks for none): it depends on the quiz's mode, not on the request"},
    ("POST", "/api/v1/auth/register"): {
        "positive_data_acceptance": "the password policy also refuses common passwords and passwords containing the "
                                    "username or the email's local part: a list and a cross-field rule",
    },
    ("PATCH", "/api/v1/admin/questions/{question_id}"): {
        "positive_data_acceptance": "the edited question is checked as a whole with the bank importer's rules "
                                    "(choices against select_count and the question's type, targets...), which depend "
                                    "on the stored question",
    },
}


def all_checks() -> list:
    load_all_checks()
    return list(CHECKS.get_all())


def check_name(check) -> str:
    return getattr(check, "__name__", type(check).__name__)


def checks_for(method: str, path: str) -> list:
    excluded = EXCLUDED.get((method.upper(), path), {})
    return [check for check in all_checks() if check_name(check) not in excluded]


def takes_input(operation) -> bool:
    """Schema-invalid data needs something to break: a parameter or a body."""
    return any(True for _ in operation.iter_parameters()) or bool(list(operation.body))


class Tokens:
    """Bearer tokens of a learner and an admin, re-issued when a case revoked one (DELETE /auth/token)."""

    def __init__(self, app) -> None:
        self.app = app
        self.users = {"user": gen_user(app, username="fuzzer"), "admin": gen_user(app, username="fuzzadmin",
                                                                                   is_admin=True)}
        self.secrets = {role: gen_token(app, user) for role, user in self.users.items()}

    def secret(self, path: str) -> str:
        role = "admin" if path.startswith(ADMIN_PREFIX) else "user"
        with self.app.app_context():
            if resolve_token(self.secrets[role]) is None:
                self.secrets[role] = gen_token(self.app, self.users[role])
        return self.secrets[role]

    def register(self, schema) -> None:
        """Make schemathesis send the token itself, so it knows the credentials are valid ones
        (ignored_auth then checks that leaving them out or spoiling them is refused)."""
        tokens = self

        @schema.auth(refresh_interval=None)
        class Bearer:
            def get(self, case, context):
                return tokens.secret(case.operation.path)

            def set(self, case, data, context):
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def describe(failure: BaseException, case, response) -> str:
    found = failure.exceptions if isinstance(failure, FailureGroup) else [failure]
    details = "\n".join(f"  {getattr(item, 'title', type(item).__name__)}: {item}"[:600] for item in found)
    return f"{details}\n  -> {response.status_code} {response.text[:240]}\n  {case.as_curl_command()[:400]}"


def fuzz_operation(operation, mode: GenerationMode, failures: list[str]) -> None:
    checks = checks_for(operation.method, operation.path)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call()
        try:
            case.validate_response(response, checks=checks)
        except (Failure, FailureGroup) as failure:
            failures.append(f"{operation.label} [{mode.value}]\n{describe(failure, case, response)}")
            if len(failures) > 2:  # enough to see what is wrong; the rest would only repeat it
                raise

    run()


@pytest.fixture
def fuzz_app(app):
    """The app with a bank of questions to draw from."""
    # Enough questions in every objective for the largest quiz (QUIZ_MAX_COUNT): NOT_ENOUGH_QUESTIONS
    # is a 400 about the bank, not the request, as a 404 is about a missing id.
    gen_bank(app, per_objective=app.config["QUIZ_MAX_COUNT"], multiple_per_objective=1, pbq_per_objective=1)
    return app


def test_every_operation_passes_every_check(fuzz_app):
    """Schema-valid and schema-invalid requests to every documented operation pass all of schemathesis's checks."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    Tokens(fuzz_app).register(schema)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 50
    report: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode == GenerationMode.NEGATIVE and not takes_input(operation):
                continue
            failures: list[str] = []
            try:
                fuzz_operation(operation, mode, failures)
            except (Failure, FailureGroup):
                pass  # recorded in `failures`
            report += failures
    assert report == [], f"{len(report)} failing cases:\n" + "\n".join(report)


def test_linked_operations_pass_every_check(fuzz_app):
    """Sequences that follow the document's links (start a quiz, answer, submit...) pass every check."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    Tokens(fuzz_app).register(schema)
    assert len(list(links_of(schema.raw_schema))) >= 10
    base = schema.as_state_machine()
    answered: list[tuple[str, int]] = []
    failures: list[str] = []
    scenarios = []

    class Machine(base):
        def setup(self):
            # Every scenario starts from the same data, so the same choices mostly draw the same steps.
            forget_activity(fuzz_app)
            scenarios.append(1)

        def after_call(self, response, case):
            super().after_call(response, case)
            answered.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(response, checks=checks_for(case.method, case.operation.path),
                                       recorder=getattr(self, "recorder", None))
            except (Failure, FailureGroup) as failure:  # collected, so hypothesis never replays a scenario
                failures.append(f"{case.operation.label} [stateful]\n{describe(failure, case, response)}")

    try:
        run_state_machine_as_test(Machine, settings=settings(
            max_examples=STATE_MACHINE_SCENARIOS, stateful_step_count=STATE_MACHINE_STEPS, deadline=None,
            database=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck)))
    except Flaky:
        # Responses feed later steps (links, schemathesis's learning from answers), so a replayed
        # prefix can draw differently; schemathesis's own engine ends the run there too.
        pass
    assert failures == [], f"{len(failures)} failing steps:\n" + "\n".join(failures[:10])
    assert len(scenarios) >= STATE_MACHINE_MIN_SCENARIOS
    # The links were followed: an operation on one resource answered 2xx with an id a response gave.
    assert any("{" in label and 200 <= status < 300 for label, status in answered)


# The bank and the accounts; every other table holds what learners did, which a scenario starts without.
KEPT_TABLES = {"exams", "domains", "objectives", "questions", "choices", "question_stats", "question_versions",
               "users", "api_tokens"}


def forget_activity(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in KEPT_TABLES:
                    connection.execute(table.delete())
    limiter.reset()


def links_of(document: dict):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                for name in response.get("links", {}):
                    yield f"{method.upper()} {path} {status}", name
