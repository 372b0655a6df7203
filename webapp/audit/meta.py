"""Builds the audit `RequestMeta` from the current request (view layer only)."""

from __future__ import annotations

from flask import request

from webapp.audit.services import RequestMeta
from webapp.logs import current_request_id


def current_request_meta() -> RequestMeta:
    return RequestMeta(ip=request.remote_addr, user_agent=request.headers.get("User-Agent"),
                       request_id=current_request_id())
