"""The password policy: length by code point, common passwords, identity parts."""

from __future__ import annotations

import pytest

from webapp.auth.passwords import common_passwords, password_problems


@pytest.mark.parametrize("length,ok", [(11, False), (12, True), (128, True), (129, False)])
def test_length_edges(length, ok):
    """11 and 129 characters are refused; 12 and 128 are accepted."""
    password = ("xq7!" * 40)[:length]
    assert (password_problems(password) == []) is ok


def test_each_code_point_counts_once():
    """Twelve emoji are twelve characters, not 48 bytes or 24 UTF-16 units."""
    twelve = "🔒🐍🚀🌍🎯🧩🦊🌵🍀🎲🎸🎻"
    assert len(twelve.encode("utf-8")) == 48
    assert password_problems(twelve) == []
    assert password_problems(twelve[:11]) != []


def test_no_composition_rules():
    """Lower-case letters and spaces alone are fine when long enough."""
    assert password_problems("purple monkey dishwasher") == []


def test_bundled_list_has_at_least_ten_thousand_entries():
    """The common-password list is big enough to matter."""
    assert len(common_passwords()) >= 10_000


def test_common_password_is_refused():
    """A password from the bundled list is refused even though it is long enough."""
    long_common = next(p for p in common_passwords() if len(p) >= 12)
    assert any("too common" in p for p in password_problems(long_common))


def test_password_containing_username_or_email_local_part_is_refused():
    """The password may not equal or contain the username or the email's local part."""
    assert password_problems("zebra-crossing-2024", username="zebra-crossing-2024")
    assert password_problems("my zebra-crossing is great", username="zebra-crossing")
    assert password_problems("hello alice.smith friends", email="Alice.Smith@example.com")
    assert password_problems("entirely unrelated words", username="zebra", email="alice@example.com") == []
