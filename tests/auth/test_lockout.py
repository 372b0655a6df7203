"""Failed-password throttle: an attacker cannot aim the lockout at the owner, and guesses per
account per day are bounded (README, "Accounts and admins"). Windows are crossed with a fake
clock on the rate-limit storage."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.factories import DEFAULT_PASSWORD, gen_user
from tests.helpers import fake_clock
from webapp import create_app
from webapp.audit.services import RequestMeta
from webapp.auth import services
from webapp.extensions import db
from webapp.models import AuditEvent

WRONG = "wrong password!!"


def meta(ip: str) -> RequestMeta:
    return RequestMeta(ip=ip, user_agent="pytest", request_id="test")


def attempt(login_name: str, password: str, ip: str) -> str:
    """One sign-in through the service: "ok", "wrong" or "locked" (call inside an app context)."""
    try:
        services.authenticate(login_name, password, meta(ip))
    except services.InvalidCredentials:
        return "wrong"
    except services.AccountLocked:
        return "locked"
    return "ok"


def checked_guesses(user_id: int) -> int:
    """Failed checks that reached the password (not refused by the throttle beforehand)."""
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == "login_failure",
                                                           AuditEvent.user_id == user_id)).all()
    return sum(1 for e in events if (e.details or {}).get("reason") != "locked")


def test_five_failures_pause_only_that_address(app, monkeypatch):
    """5 failures from one address pause that address for at most 15 minutes; the owner elsewhere signs in."""
    gen_user(app, username="pairvictim")
    with app.app_context(), fake_clock(monkeypatch) as clock:
        outcomes = [attempt("pairvictim", WRONG, "198.51.100.7") for _ in range(5)]
        assert outcomes == ["wrong"] * 4 + ["locked"]
        with pytest.raises(services.AccountLocked) as caught:
            services.authenticate("pairvictim", DEFAULT_PASSWORD, meta("198.51.100.7"))
        assert 0 < caught.value.retry_after <= 15 * 60
        assert attempt("pairvictim", DEFAULT_PASSWORD, "203.0.113.50") == "ok"
        clock.advance(15 * 60 + 1)
        assert attempt("pairvictim", DEFAULT_PASSWORD, "198.51.100.7") == "ok"


def test_attacker_cannot_keep_the_owner_out_at_a_known_address(app, monkeypatch):
    """A day of failures from hundreds of addresses never stops the owner at an address they signed in from."""
    user = gen_user(app, username="famous")
    with app.app_context(), fake_clock(monkeypatch) as clock:
        assert attempt("famous", DEFAULT_PASSWORD, "203.0.113.10") == "ok"  # the owner's home address
        for n in range(300):  # a new address for every guess, as fast as the throttle lets it
            attempt("famous", WRONG, f"10.66.{n // 250}.{n % 250}")
            clock.advance(10)
            if n % 25 == 0:
                assert attempt("famous", DEFAULT_PASSWORD, "203.0.113.10") == "ok"
        assert attempt("famous", DEFAULT_PASSWORD, "203.0.113.10") == "ok"
        assert checked_guesses(user.id) == 100


def test_owner_at_a_new_address_waits_at_most_the_short_pause(app, monkeypatch):
    """20 quick failures from 20 addresses pause unknown addresses for at most 5 minutes, then the owner signs in."""
    gen_user(app, username="traveller")
    with app.app_context(), fake_clock(monkeypatch) as clock:
        outcomes = [attempt("traveller", WRONG, f"10.77.0.{n}") for n in range(20)]
        assert outcomes == ["wrong"] * 19 + ["locked"]
        with pytest.raises(services.AccountLocked) as caught:
            services.authenticate("traveller", DEFAULT_PASSWORD, meta("192.0.2.99"))
        assert 0 < caught.value.retry_after <= 5 * 60
        clock.advance(5 * 60 + 1)
        assert attempt("traveller", DEFAULT_PASSWORD, "192.0.2.99") == "ok"


def test_guesses_per_account_are_capped_at_100_a_day(app, monkeypatch):
    """One guess a minute for a day from ever-new addresses reaches the password 100 times, not more."""
    user = gen_user(app, username="daily")
    with app.app_context(), fake_clock(monkeypatch) as clock:
        outcomes = []
        for n in range(24 * 60 - 1):
            outcomes.append(attempt("daily", WRONG, f"10.{n // 60000}.{n // 250 % 250}.{n % 250}"))
            clock.advance(60)
        assert checked_guesses(user.id) == 100
        assert outcomes[:99] == ["wrong"] * 99 and set(outcomes[100:]) == {"locked"}
        clock.advance(2 * 60)  # the first guesses age out of the day
        assert attempt("daily", WRONG, "10.99.0.1") == "wrong"


def test_known_address_is_held_to_its_own_daily_allowance_while_the_account_is_capped(app, monkeypatch):
    """Behind the owner's address an attacker still gets at most 10 more guesses a day once the cap is reached."""
    user = gen_user(app, username="shared")
    with app.app_context(), fake_clock(monkeypatch) as clock:
        assert attempt("shared", DEFAULT_PASSWORD, "203.0.113.20") == "ok"
        for n in range(100):
            attempt("shared", WRONG, f"10.88.0.{n}")
            clock.advance(16)
        assert attempt("shared", WRONG, "10.88.1.1") == "locked"
        outcomes = []
        for _ in range(30):
            outcomes.append(attempt("shared", WRONG, "203.0.113.20"))
            clock.advance(15 * 60 + 1)  # never the per-address pause: only the daily allowance
        assert outcomes[:9] == ["wrong"] * 9 and set(outcomes[9:]) == {"locked"}
        assert checked_guesses(user.id) == 100 + 10


def test_unknown_logins_lock_exactly_like_accounts(app, monkeypatch):
    """An unknown login gets the same outcomes, messages and waits as a real account."""
    gen_user(app, username="exists")
    with app.app_context(), fake_clock(monkeypatch):
        outcomes = {}
        for name in ("exists", "doesnotexist"):
            errors = []
            for n in range(22):
                try:
                    services.authenticate(name, WRONG, meta(f"10.55.0.{n // 3}"))
                except (services.InvalidCredentials, services.AccountLocked) as exc:
                    errors.append((type(exc).__name__, exc.status, exc.message, exc.headers.get("Retry-After")))
            outcomes[name] = errors
        assert outcomes["exists"] == outcomes["doesnotexist"]
        assert ("AccountLocked", 429) in {(e[0], e[1]) for e in outcomes["exists"]}


@pytest.mark.parametrize("path,data", [
    ("/account/tokens", {"name": "ci"}),
    ("/account/export", {}),
    ("/account/delete", {"confirm": "delete my account"}),
    ("/account/password", {"new_password": "another long passphrase 77"}),
])
def test_current_password_checks_count_as_failed_sign_ins(client, app, signed_in, path, data):
    """Wrong current passwords on /account count in the sign-in throttle; a paused account gets 429 there."""
    for _ in range(2):  # from the same address, signed out
        assert app.test_client().post("/auth/login", data={"login": signed_in.username,
                                                           "password": WRONG}).status_code == 401
    statuses = [client.post(path, data={**data, "current_password": WRONG}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    response = client.post(path, data={**data, "current_password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "paused" in response.get_data(as_text=True)


def test_current_password_guesses_are_throttled_not_unlimited(client, app, signed_in):
    """30 wrong current passwords in a row: at most 5 are checked, the rest are 429."""
    user = signed_in
    statuses = [client.post("/account/export", data={"current_password": WRONG}).status_code for _ in range(30)]
    assert statuses.count(400) == 4 and statuses.count(429) == 26
    with app.app_context():
        assert checked_guesses(user.id) == 5


@pytest.fixture
def limited_client(app):
    """A client of the app with the production per-address limit of 10 a minute."""
    return create_app(type("Limited", (TestingConfig,), {"LOGIN_RATE_LIMIT": "10 per minute"})).test_client()


def test_web_and_api_sign_in_share_one_budget(limited_client):
    """6 web sign-ins and 5 token requests from one address: the 11th is 429 (10 a minute in all)."""
    web = [limited_client.post("/auth/login", data={"login": f"w{n}", "password": WRONG}).status_code
           for n in range(6)]
    api = [limited_client.post("/api/v1/auth/token", json={"login": f"a{n}", "password": WRONG}).status_code
           for n in range(5)]
    assert web == [401] * 6 and api[:4] == [401] * 4
    assert api[4] == 429


def test_web_and_api_registration_share_one_budget(limited_client):
    """6 web and 5 API registrations from one address: the 11th is 429."""
    web = [limited_client.post("/auth/register", data={"email": "bad", "username": "x", "password": "y"}).status_code
           for _ in range(6)]
    api = [limited_client.post("/api/v1/auth/register", json={"email": "bad", "username": "x", "password": "y"})
           .status_code for _ in range(5)]
    assert 429 not in web + api[:4]
    assert api[4] == 429
