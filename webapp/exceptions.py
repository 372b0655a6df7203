"""Domain exceptions: what services raise. No Flask here, so services and tools can import it.

Each carries an HTTP status, a stable code and optionally the field at fault; `webapp.errors`
turns them into responses (JSON under /api, a fragment for htmx, a page otherwise).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One invalid field in a validation error."""

    field: str
    error: str
    code: str = "INVALID"


class AppError(Exception):
    """Base of every domain exception: carries an HTTP status, a stable code and a field."""

    status = 400
    code = "BAD_REQUEST"
    message = "The request could not be processed."
    log_level = logging.INFO  # WARNING for errors that point at abuse or a race, never with a trace

    def __init__(self, message: str | None = None, *, field: str | None = None,
                 code: str | None = None, status: int | None = None,
                 errors: list[FieldError] | None = None, extra: dict | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.field = field
        self.errors = errors or []
        self.extra = extra or {}
        self.headers = headers or {}
        if code:
            self.code = code
        if status:
            self.status = status


class ValidationError(AppError):
    status = 400
    code = "VALIDATION_ERROR"
    message = "Some fields are invalid."


class AuthenticationRequired(AppError):
    status = 401
    code = "AUTHENTICATION_REQUIRED"
    message = "Authentication is required."


class PermissionDenied(AppError):
    status = 403
    code = "FORBIDDEN"
    message = "You do not have permission to do that."


class NotFound(AppError):
    status = 404
    code = "NOT_FOUND"
    message = "The resource was not found."


class Conflict(AppError):
    status = 409
    code = "CONFLICT"
    message = "The request conflicts with the current state."
