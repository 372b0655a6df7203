"""The deploy tests run real servers over the suite's database: each starts from empty tables,
whatever a server of an earlier test was still doing when that test's own clean-up ran."""

from __future__ import annotations

import pytest

from tests.conftest import clean_tables


@pytest.fixture(autouse=True)
def _empty_tables_first(request):
    """Empty the suite database before a deploy test that uses it (the shared clean-up runs after)."""
    if "app" in request.fixturenames:
        clean_tables(request.getfixturevalue("app"))
    yield
