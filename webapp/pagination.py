"""Page-number bounds shared by every paginated list (HTML and JSON alike).

An absurd page number would overflow the database's OFFSET; past the last page a list is
simply empty, so clamping changes nothing a person can see.
"""

from __future__ import annotations

MAX_PAGE = 100_000
MAX_PER_PAGE = 100


def bounded_page(page: int | None) -> int:
    """`page` clamped to 1..MAX_PAGE."""
    return min(max(int(page or 1), 1), MAX_PAGE)
