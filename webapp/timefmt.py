"""Showing stored moments to people: in the signed-in learner's time zone, with the zone named.

Every timestamp is stored as an aware UTC datetime; pages render it through the `localtime`
filter, which wraps it in `<time datetime="…Z">` so the exact moment stays machine-readable.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from flask_login import current_user
from markupsafe import Markup, escape

STYLES = ("datetime", "date")
FALLBACK_ZONE = "UTC"  # for visitors and unknown zone names


def zone_for(name: str | None) -> ZoneInfo:
    """The named zone, or UTC for a missing or unknown name."""
    try:
        return ZoneInfo(name or FALLBACK_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_ZONE)


def zone_label(moment: datetime) -> str:
    """The zone's short name at that moment (GMT or BST for Europe/London), or its UTC offset
    when the zone has no abbreviation (+03 is shown as UTC+03)."""
    name = moment.tzname() or FALLBACK_ZONE
    return f"UTC{name}" if name[:1] in "+-" else name


def format_local(value: datetime, zone_name: str | None, style: str = "datetime") -> str:
    """`1 Dec 2026, 14:05 GMT` (style "datetime") or `1 Dec 2026` (style "date") in the zone."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}")
    local = value.astimezone(zone_for(zone_name))
    day = f"{local.day} {local:%b %Y}"
    return day if style == "date" else f"{day}, {local:%H:%M} {zone_label(local)}"


def localtime(value: datetime | None, style: str = "datetime") -> Markup | str:
    """Jinja filter: a `<time>` element in the signed-in user's zone (UTC for visitors).

    Date-only values still name the zone in their title, since the day depends on it."""
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not shown; use an aware UTC datetime")
    user = current_user._get_current_object()  # once: each proxy access is a context lookup
    zone = zone_for(user.timezone if user and user.is_authenticated else FALLBACK_ZONE)
    iso = value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    full = format_local(value, zone.key, "datetime")  # the title, and the text in that style
    text = full if style == "datetime" else format_local(value, zone.key, style)
    title = f"{full} ({zone.key})"
    return Markup(f'<time datetime="{iso}" title="{escape(title)}">{escape(text)}</time>')


def register_time_filters(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
