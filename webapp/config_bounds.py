"""Bounds that are config keys, read from the running app whenever they are used.

A cross-cutting module because the quiz start form (wtforms) and the API schema (marshmallow)
validate the same ranges: both validators take their min and max from here, so the form's
input attributes, the API's check and its OpenAPI document always agree with `config.py`.
"""

from __future__ import annotations

from flask import current_app


class ConfigBounds:
    """`min` and `max` looked up in `current_app.config` under the two keys given."""

    def __init__(self, min_key: str, max_key: str) -> None:
        self.min_key, self.max_key = min_key, max_key

    @property
    def min(self) -> int:
        return int(current_app.config[self.min_key])

    @property
    def max(self) -> int:
        return int(current_app.config[self.max_key])
