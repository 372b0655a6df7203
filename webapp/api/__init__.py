"""The JSON API at `/api/v1`: flask-smorest blueprints over the same services as the HTML views.

flask-smorest was chosen over spectree because it builds the OpenAPI document from the
marshmallow schemas that also validate and serialise, so the document cannot drift from the
code. Its own error handler is *not* installed: `webapp.errors` renders every error, JSON under
`/api/` only, and validation failures are 400 `VALIDATION_ERROR` rather than webargs' 422.

Two things the marshmallow fields cannot say are added to the document here: JSON Schema
keywords a schema lists in `Meta.openapi` (such as `minProperties`), and enums whose values live
in the database (`x_live_enum` in a field's metadata), filled in each time the document is served.

Every status an operation can answer is documented (there is no catch-all `default` response):
the errors that follow from an operation's shape are added here (`shape_errors`), and a view
declares the ones its rules raise with `@bp.alt_response(status, response=error_response(status))`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from pathlib import Path
from typing import Any, Callable

import marshmallow as ma
from apispec.ext.marshmallow import MarshmallowPlugin as _MarshmallowPlugin
from apispec.ext.marshmallow import OpenAPIConverter
from flask import Flask, current_app, json, render_template, request
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from webargs.flaskparser import FlaskParser

from config import ROOT
from webapp.api.deprecation import register_deprecations
from webapp.exceptions import AppError, ValidationError
from webapp.extensions import csrf

API_PREFIX = "/api/v1"
ADMIN_PREFIX = f"{API_PREFIX}/admin/"  # every operation under it needs an admin token
BODY_METHODS = {"POST", "PUT", "PATCH"}


class UnsupportedMediaType(AppError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    message = "Send the body as application/json."


class JsonTooDeep(ValidationError):
    log_level = logging.WARNING
    message = "Invalid JSON body: it is nested too deeply."

    def __init__(self) -> None:
        super().__init__(field="json")


class Parser(FlaskParser):
    """webargs parser whose validation errors are 400, matching the error policy."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        # Python's json raises RecursionError (not a JSONDecodeError) on very deep nesting, such
        # as 1,000 `[`; it is a bad body like any other, not a 500.
        try:
            return super()._raw_load_json(req)
        except RecursionError as exc:
            raise JsonTooDeep() from exc


class Blueprint(_Blueprint):
    """A smorest blueprint using our parser."""

    ARGUMENTS_PARSER = Parser()


class ErrorSchema(ma.Schema):
    """The error body every `/api/` error uses (documentation only)."""

    error = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    field = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)
    errors = ma.fields.List(ma.fields.Dict())
    quiz_id = ma.fields.Integer(metadata={"description": "409 QUIZ_IN_PROGRESS only: the quiz already open"})
    current_version = ma.fields.Integer(metadata={
        "description": "409 VERSION_CONFLICT only: the question's version now"})
    study_session_id = ma.fields.Integer(metadata={
        "description": "409 STUDY_IN_PROGRESS only: the study session already open"})


LIVE_ENUM = "x-live-enum"
BLANK_IS_NONE = "x-blank-is-none"  # a filter that takes "" as no filter: "" joins its live enum


def _exam_types() -> list[str]:
    from webapp.questions.services import visible_exam_slugs

    return visible_exam_slugs(None)  # what a learner may name; admins may also name retired exams


def _all_exam_types() -> list[str]:
    from webapp.questions.services import all_exam_slugs

    return all_exam_slugs()  # the admin operations name retired exams too


def _objective_codes() -> list[str]:
    from webapp.questions.services import objective_codes

    return objective_codes(None)


# Enums whose values are data: the served document lists the values of the moment.
LIVE_ENUMS: dict[str, Callable[[], list[str]]] = {"exam_types": _exam_types, "all_exam_types": _all_exam_types,
                                                  "objective_codes": _objective_codes}


def with_live_enums(node: Any, values: dict[str, list[str]]) -> Any:
    """A copy of the document `node` where each `x-live-enum` property lists its current values."""
    if isinstance(node, list):
        return [with_live_enums(item, values) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: with_live_enums(value, values) for key, value in node.items() if key not in (LIVE_ENUM, BLANK_IS_NONE)}
    if LIVE_ENUM in node and values.get(node[LIVE_ENUM]):
        copy["enum"] = ([""] if node.get(BLANK_IS_NONE) else []) + values[node[LIVE_ENUM]]
    return copy


def error_response(status: int) -> str:
    """The name of the documented error response (the ErrorSchema body) for `status`."""
    return HTTPStatus(status).name


def links(status: int, **targets: dict) -> dict:
    """`@bp.doc(**links(201, Name=link(...)))`: the OpenAPI links of a response, the operations a
    client calls next with values from this exchange (schemathesis's state machine follows them)."""
    return {"responses": {status: {"links": targets}}}


def link(method: str, path: str, description: str, parameters: dict | None = None,
         request_body: dict | None = None) -> dict:
    """One OpenAPI link to the operation `method path` (a path of this API, e.g. /quizzes/{quiz_id});
    `parameters` and `request_body` are runtime expressions such as `$response.body#/id`."""
    pointer = f"{API_PREFIX}{path}".replace("~", "~0").replace("/", "~1")
    target = {"operationRef": f"#/paths/{pointer}/{method.lower()}", "description": description}
    if parameters:
        target["parameters"] = parameters
    if request_body is not None:
        target["requestBody"] = request_body
    return target


def shape_errors(path: str, operation: dict) -> list[int]:
    """The error statuses an operation answers because of its shape, whatever its rules: 400 for
    invalid input, 401 without a live token, 403 for a learner's token on an admin operation, 404
    for a path naming nothing, 413 and 415 for a body too large or not JSON, and 503 while the
    database is unreachable (webapp.errors)."""
    if not path.startswith(API_PREFIX):
        return []
    statuses = [503]
    if operation.get("parameters") or operation.get("requestBody") or "{" in path:
        statuses.append(400)
    if operation.get("security"):
        statuses.append(401)
        if path.startswith(ADMIN_PREFIX):
            statuses.append(403)
    if "{" in path:
        statuses.append(404)
    if operation.get("requestBody"):
        statuses += [413, 415]
    return statuses


# Every request refuses U+0000 (webapp.security.refuse_nul_characters); a free-text string says so.
NO_NUL = "^[^\\u0000]*$"


class Converter(OpenAPIConverter):
    """apispec's converter, plus the JSON Schema keywords a schema lists in `Meta.openapi` (a dict,
    or a function returning one when the document is built, for keywords read from config), and
    the NUL rule on every string that no enum, format or pattern already constrains."""

    def schema2jsonschema(self, schema) -> dict:
        jsonschema = super().schema2jsonschema(schema)
        extra = getattr(getattr(schema, "Meta", None), "openapi", {})
        jsonschema.update(extra() if callable(extra) else extra)
        return jsonschema

    def field2property(self, field) -> dict:
        prop = super().field2property(field)
        if prop.get("type") == "string" and not {"enum", "format", "pattern", LIVE_ENUM} & prop.keys():
            prop["pattern"] = NO_NUL
        return prop


class MarshmallowPlugin(_MarshmallowPlugin):
    """apispec's marshmallow plugin with our converter, adding each operation's `shape_errors`."""

    Converter = Converter

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        super().operation_helper(path=path, operations=operations, **kwargs)
        for method, operation in (operations or {}).items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for status in shape_errors(path or "", operation):
                if status not in responses and str(status) not in responses:
                    responses[str(status)] = error_response(status)


class Api(_Api):
    """flask-smorest's Api without its global HTTPException handler, serving the document with
    its live enums filled in."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # each status is documented instead (see the module docstring)

    def _register_error_handlers(self) -> None:  # the app-wide policy in webapp.errors applies
        return None

    def document(self) -> dict:
        """The OpenAPI document as of now."""
        return with_live_enums(self.spec.to_dict(), {name: source() for name, source in LIVE_ENUMS.items()})

    def _openapi_json(self):
        return current_app.response_class(json.dumps(self.document(), indent=2, sort_keys=False),
                                          mimetype="application/json")


def require_json_body() -> None:
    """Bodies sent to the JSON API must be JSON (415 otherwise)."""
    if request.method in BODY_METHODS and request.path.startswith("/api/"):
        has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
        if has_body and not request.is_json:
            raise UnsupportedMediaType()


def _document_health(app: Flask, spec) -> None:
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()}
    status = {"type": "object", "properties": {
        "status": {"type": "string", "enum": ["healthy", "unhealthy"]},
        "timestamp": {"type": "string", "format": "date-time"},
        "database": {"type": "string", "enum": ["connected", "disconnected"]},
        "version": {"type": "string"}},
        "required": ["status", "timestamp", "database", "version"]}
    spec.path(path="/health", rule=rules["/health"], operations={"get": {
        "summary": "Readiness: the app and its database answer",
        "tags": ["health"],
        "responses": {
            "200": {"description": "Healthy", "content": {"application/json": {"schema": status}}},
            "503": {"description": "Database unreachable", "content": {"application/json": {"schema": status}}},
        }}})
    spec.path(path="/health/live", rule=rules["/health/live"], operations={"get": {
        "summary": "Liveness: the process answers (no database access)",
        "tags": ["health"],
        "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]}}}}}}})


def policy_description(api_doc: Path = ROOT / "docs" / "API.md") -> str:
    """The OpenAPI document's `info.description`: the versioning policy and the changelog, taken
    from docs/API.md (one text for both; /api/v1/docs shows it above the operations)."""
    if not api_doc.exists():
        return ""
    text = api_doc.read_text()
    wanted = ("## Versioning and deprecation", "## Changelog")
    parts = []
    for heading in wanted:
        start = text.find(heading + "\n")
        if start < 0:
            continue
        end = text.find("\n## ", start + len(heading))
        parts.append(text[start:end if end > 0 else len(text)].strip())
    return "\n\n".join(parts)


# The vendored Swagger UI (static/vendor) behind the browsable reference.
SWAGGER_UI = "vendor/swagger-ui-5.35.0"


def api_docs_page():
    """The browsable API reference: Swagger UI over /api/v1/openapi.json (no authentication)."""
    return render_template("api/docs.html", swagger_ui=SWAGGER_UI,
                           spec_url=f"{API_PREFIX}/{current_app.config['OPENAPI_JSON_PATH']}")


def register_api(app: Flask, blueprints: list[tuple[Blueprint, str]]) -> None:
    """Initialise the API, register its blueprints under `/api/v1` and exempt them from CSRF.

    Bearer tokens, not cookies, authenticate the API, so CSRF does not apply there.
    """
    api = Api(app, spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(), "components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}}, "info": {"description": policy_description()}})
    app.extensions["certquest_api"] = api
    _document_health(app, api.spec)
    with app.app_context():  # schemas are documented now, and some read the app's config (ConfigRange)
        for blueprint, prefix in blueprints:
            api.register_blueprint(blueprint, url_prefix=f"{API_PREFIX}{prefix}")
            csrf.exempt(blueprint)
    app.before_request(require_json_body)
    register_deprecations(app)
    app.add_url_rule(f"{API_PREFIX}/docs", "api_docs", api_docs_page, methods=["GET"])
