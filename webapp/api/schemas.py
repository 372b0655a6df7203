"""marshmallow schemas shared by the API blueprints (validation and the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma

from webapp.auth.passwords import MIN_LENGTH as PASSWORD_MIN_LENGTH
from webapp.auth.services import USERNAME_PATTERN, timezone_choices
from webapp.config_bounds import ConfigBounds
from webapp.pagination import MAX_PAGE, MAX_PER_PAGE

# Emails and time zones are validated by the accounts service, for the forms and the API alike;
# the document states what it accepts.
EMAIL_FORMAT = {"format": "email"}


class ConfigRange(ConfigBounds, ma.validate.Validator):
    """A `Range` whose bounds are config keys of the running app: read when a value is validated
    and when the OpenAPI document is built (inside an app context), so both agree with config."""

    def __call__(self, value):
        return ma.validate.Range(min=self.min, max=self.max)(value)


def exam_type_field(live_enum: str = "exam_types", blank_is_none: bool = False, **kwargs) -> ma.fields.String:
    """An exam slug; the document lists the exams learners can see (`all_exam_types`: every exam)
    when it is served. A list filter that reads "" as no filter says so (`blank_is_none`)."""
    metadata = {"x_live_enum": live_enum, "x_blank_is_none": blank_is_none, "description": "an exam slug",
                **kwargs.pop("metadata", {})}
    return ma.fields.String(metadata=metadata, **kwargs)


def objective_code_field(blank_is_none: bool = False, **kwargs) -> ma.fields.String:
    """An objective code such as 2.3; the document lists the codes of the exams learners can see.
    A code must also be one of the chosen exam's (400 UNKNOWN_OBJECTIVE otherwise)."""
    metadata = {"x_live_enum": "objective_codes", "x_blank_is_none": blank_is_none,
                "description": "an objective code, e.g. 2.3", **kwargs.pop("metadata", {})}
    return ma.fields.String(metadata=metadata, **kwargs)


# Text that must hold more than white space (trimmed first), and no NUL.
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"

USERNAME = {"pattern": USERNAME_PATTERN, "description": "3 to 32 lower-case letters, digits, _ and -; "
                                                        "trimmed and lower-cased first"}


class RegisterSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=254), metadata=EMAIL_FORMAT)
    username = ma.fields.String(required=True, validate=ma.validate.Length(max=64), metadata=USERNAME)
    password = ma.fields.String(required=True, validate=ma.validate.Length(max=1024), load_only=True, metadata={
        "minLength": PASSWORD_MIN_LENGTH, "description": "the password policy (docs/API.md): at least "
        f"{PASSWORD_MIN_LENGTH} characters, not a common password, not containing the username or the email's "
        "local part"})


class TokenRequestSchema(ma.Schema):
    login = ma.fields.String(required=True, validate=ma.validate.Length(max=254),
                             metadata={"description": "email or username"})
    password = ma.fields.String(required=True, validate=ma.validate.Length(max=1024), load_only=True)


class TokenSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "bearer"})
    expires_at = ma.fields.DateTime(required=True)


class StreakSchema(ma.Schema):
    current = ma.fields.Integer()
    longest = ma.fields.Integer()
    freezes = ma.fields.Integer()


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    email = ma.fields.String(required=True, metadata=EMAIL_FORMAT)
    timezone = ma.fields.String(required=True)
    xp = ma.fields.Integer(required=True)
    level = ma.fields.Integer(required=True)
    is_admin = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)
    streak = ma.fields.Nested(StreakSchema)
    digest_opt_in = ma.fields.Boolean(metadata={"description": "whether the weekly digest email is on"})


class UserEnvelopeSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema, required=True)


class UserPatchSchema(ma.Schema):
    """Only these keys may change through the API; any other key is a 400 (no mass assignment),
    and so is a body that changes nothing."""

    class Meta:
        unknown = ma.RAISE
        openapi = {"minProperties": 1}

    username = ma.fields.String(validate=ma.validate.Length(max=64), metadata=USERNAME)
    timezone = ma.fields.String(metadata={"description": "an IANA time zone name", "enum": timezone_choices()})
    show_on_leaderboard = ma.fields.Boolean()
    digest_opt_in = ma.fields.Boolean(metadata={"description": "switch the weekly digest email on or off"})

    @ma.validates_schema
    def changes_something(self, data: dict, **kwargs) -> None:
        if not data:
            raise ma.ValidationError("Send at least one of username, timezone, show_on_leaderboard and digest_opt_in.",
                                     field_name="body")


BEARER = [{"bearerAuth": []}]  # OpenAPI security requirement of token-protected operations


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The envelope every paginated list uses: items, page, per_page, total."""
    return ma.Schema.from_dict({"items": ma.fields.List(ma.fields.Nested(item_schema)), "page": ma.fields.Integer(),
                                "per_page": ma.fields.Integer(), "total": ma.fields.Integer()}, name=name)


def page_body(page, items: list) -> dict:
    """The JSON for one page of a Flask-SQLAlchemy pagination, with `items` already rendered."""
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total}


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer(allow_none=True)
    event = ma.fields.String()
    ip = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)
    details = ma.fields.Dict(allow_none=True)
    created_at = ma.fields.DateTime()


AuditPageSchema = page_schema(AuditEventSchema, "AuditPage")
