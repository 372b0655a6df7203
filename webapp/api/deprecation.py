"""Deprecating an API operation: the `Deprecation`, `Sunset` and `Link` response headers.

The versioning policy (docs/API.md, "Versioning and deprecation") says an operation of `/api/v1`
is removed or changed incompatibly only after it has been announced: it keeps working, every
response carries

- `Deprecation: @<unix time>` (RFC 9745): since when it is deprecated;
- `Sunset: <HTTP date>` (RFC 8594): after when it may stop working (at least
  DEPRECATION_MIN_NOTICE_DAYS after the announcement);
- `Link: <successor>; rel="successor-version"` when there is a replacement, and
  `<changelog>; rel="deprecation"` pointing at the changelog entry,

the OpenAPI document marks it `deprecated: true`, and the changelog in docs/API.md says what to
use instead. `deprecated(...)` is the one way to mark a view; `add_deprecation_headers` (an
after-request hook on the API) writes the headers for whichever view answered, error responses
included.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime

from flask import Flask, current_app, request

# A sunset is never announced closer than this to the deprecation (docs/API.md).
DEPRECATION_MIN_NOTICE_DAYS = 180
CHANGELOG_URL = "/api/v1/docs"  # its first section is the versioning policy and the changelog
ATTRIBUTE = "_certquest_deprecation"


@dataclass(frozen=True)
class Deprecation:
    since: date
    sunset: date
    successor: str | None = None  # the path that replaces it, if any

    def __post_init__(self) -> None:
        if self.sunset - self.since < timedelta(days=DEPRECATION_MIN_NOTICE_DAYS):
            raise ValueError(f"a sunset needs at least {DEPRECATION_MIN_NOTICE_DAYS} days' notice")

    def headers(self) -> dict[str, str]:
        since = calendar.timegm(self.since.timetuple())
        sunset = datetime(self.sunset.year, self.sunset.month, self.sunset.day, tzinfo=timezone.utc)
        links = [f'<{CHANGELOG_URL}>; rel="deprecation"']
        if self.successor:
            links.insert(0, f'<{self.successor}>; rel="successor-version"')
        return {"Deprecation": f"@{since}", "Sunset": format_datetime(sunset, usegmt=True), "Link": ", ".join(links)}


def deprecated(since: date, sunset: date, successor: str | None = None):
    """Mark a view deprecated (see the module docstring). Put it under the route decorator; on a
    flask-smorest view, also pass `deprecated=True` to `blp.doc` so the OpenAPI document says so."""
    notice = Deprecation(since, sunset, successor)

    def mark(view):
        setattr(view, ATTRIBUTE, notice)
        return view

    return mark


def add_deprecation_headers(response):
    """After-request hook: the headers of a deprecated view's responses."""
    view = current_app.view_functions.get(request.endpoint or "")
    notice = getattr(view, ATTRIBUTE, None)
    if notice is None:  # a flask-smorest MethodView: the method that answered
        view_class = getattr(view, "view_class", None)
        method = getattr(view_class, request.method.lower(), None) if view_class else None
        notice = getattr(method, ATTRIBUTE, None)
    if notice is not None:
        response.headers.update(notice.headers())
    return response


def register_deprecations(app: Flask) -> None:
    app.after_request(add_deprecation_headers)
