"""The tag rules, written once: the bookmark service, the `bookmarked` source and the forms use them.

A bookmark has at most `MAX_TAGS` tags of 1 to `MAX_TAG_LENGTH` characters. Tags are per user
and case-insensitive: `tag_key` is the case-folded, whitespace-trimmed name that rows are keyed
and filtered by, and the spelling shown is the one the learner used first.
"""

from __future__ import annotations

from webapp.exceptions import ValidationError

MAX_TAGS = 5
MAX_TAG_LENGTH = 30


def tag_key(name: str) -> str:
    """The key a tag is stored and matched by: trimmed, inner runs of spaces as one, case-folded."""
    return " ".join(str(name).split()).casefold()


def clean_tag(name: object, field: str = "tags") -> str:
    """One tag as it will be shown (trimmed, single spaces), or a ValidationError."""
    if not isinstance(name, str):
        raise ValidationError("A tag is text.", field=field, code="INVALID_TAG")
    shown = " ".join(name.split())
    if not 1 <= len(shown) <= MAX_TAG_LENGTH:
        raise ValidationError(f"A tag has 1 to {MAX_TAG_LENGTH} characters.", field=field, code="INVALID_TAG")
    if len(tag_key(shown)) > MAX_TAG_LENGTH:  # case folding can lengthen a name ("ß" -> "ss")
        raise ValidationError(f"A tag has 1 to {MAX_TAG_LENGTH} characters.", field=field, code="INVALID_TAG")
    return shown


def clean_tags(names: list | None, field: str = "tags") -> list[str]:
    """The tags of one bookmark: each cleaned, duplicates (ignoring case) dropped, at most MAX_TAGS."""
    if names is None:
        return []
    if not isinstance(names, list):
        raise ValidationError("Tags are a list of names.", field=field, code="INVALID_TAG")
    shown: dict[str, str] = {}
    for name in names:
        cleaned = clean_tag(name, field)
        shown.setdefault(tag_key(cleaned), cleaned)
    if len(shown) > MAX_TAGS:
        raise ValidationError(f"A bookmark has at most {MAX_TAGS} tags.", field=field, code="TOO_MANY_TAGS")
    return list(shown.values())
