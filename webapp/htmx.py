"""htmx helpers: detect htmx requests and answer them with fragments or HX-* headers.

`HX-Request` only selects a representation; it is never an authorisation signal.
"""

from __future__ import annotations

from flask import Response, make_response, render_template, request


def is_htmx() -> bool:
    """True when the request was sent by htmx."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment() -> bool:
    """True when htmx asked for a partial (not a history restore, which needs the full page)."""
    return is_htmx() and request.headers.get("HX-History-Restore-Request") != "true"


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context) -> Response:
    """Render `fragment` for htmx and `page` otherwise, varying the cache on HX-Request."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.headers.add("Vary", "HX-Request")
    return response


def hx_redirect(response: Response, location: str) -> Response:
    """Ask htmx to do a full-page navigation to `location`."""
    response.headers["HX-Redirect"] = location
    return response


def hx_trigger(response: Response, event: str) -> Response:
    """Fire a client-side event after the swap (for widgets that must all refresh)."""
    response.headers["HX-Trigger"] = event
    return response
