"""The password policy: length, not composition.

12 to 128 characters of any Unicode (each code point counts as one), not in the bundled list of
30,000 common passwords, and not equal to or containing the username or the email's local part.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"
# Identity parts shorter than this are too short to count as "contained" (a username "abc"
# would otherwise forbid every password with "abc" in it).
MIN_IDENTITY_PART = 3


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str, username: str | None = None, email: str | None = None) -> list[str]:
    """Human-readable reasons `password` is refused; empty when it is acceptable."""
    problems: list[str] = []
    length = len(password)  # str length counts code points, as the policy says
    if length < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters (this one has {length}).")
    elif length > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.casefold()
    if lowered in common_passwords():
        problems.append("This password is too common; choose something less predictable.")
    for label, part in (("username", username), ("email address", (email or "").split("@")[0])):
        part = (part or "").casefold()
        if len(part) >= MIN_IDENTITY_PART and part in lowered:
            problems.append(f"The password must not contain your {label}.")
    return problems


def hash_password(password: str, method: str) -> str:
    return generate_password_hash(password, method=method)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)
