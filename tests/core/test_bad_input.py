"""Bad input and races never give a 500: deep JSON and an account deleted while its requests run
are clean 4xx in the error format, logged at WARNING without a trace."""

from __future__ import annotations

import http.cookiejar
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.factories import DEFAULT_PASSWORD, bearer, choice_ids, gen_bank, gen_token, gen_user
from tests.helpers import captured_json_logs
from webapp.audit.services import RequestMeta
from webapp.extensions import db
from webapp.models import User
from webapp.privacy.services import delete_user_account

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/auth/register", "/api/v1/quizzes"])
def test_deeply_nested_json_is_a_400_logged_as_warning(client, path):
    """JSON nested 1,000 levels deep is a 400 in the error format, logged at WARNING with no trace."""
    with captured_json_logs() as records:
        response = client.post(path, data=DEEP, content_type="application/json")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR" and body["field"] == "json" and body["request_id"]
    errors = [r for r in records if r.get("logger") == "webapp.errors"]
    assert [r["level"] for r in errors] == ["WARNING"]
    assert not any(r.get("level") == "ERROR" or r.get("exc_info") for r in records[:-1])


@pytest.mark.parametrize(("method", "path", "kwargs", "field"), [
    ("get", "/api/v1/questions?exam_type=sec%00urity", {}, "exam_type"),
    ("post", "/api/v1/auth/token", {"json": {"login": "a\u0000b", "password": "x"}}, "json"),
    ("get", "/exams/secu%00rity", {}, "path"),
    ("post", "/auth/login", {"data": {"login": "a\x00b", "password": "x"}}, "login"),
])
def test_nul_characters_are_a_400_on_both_databases(client, app, method, path, kwargs, field):
    """A NUL in a path, query, form or JSON body is a 400 naming the field, never a 500 from PostgreSQL."""
    user = gen_user(app)
    headers = bearer(gen_token(app, user)) if path.startswith("/api/v1/questions") else {}
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert response.status_code == 400
    if path.startswith("/api/"):
        body = response.get_json()
        assert body["code"] == "INVALID_CHARACTER" and body["field"] == field
    else:
        assert "NUL character" in response.get_data(as_text=True)


def _request(method: str, url: str, token: str, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **bearer(token)})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _browser(live_url: str, username: str):
    """A cookie-keeping opener signed in through the real form (CSRF is off in testing)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = urllib.parse.urlencode({"login": username, "password": DEFAULT_PASSWORD}).encode()
    opener.open(f"{live_url}/auth/login", data=form, timeout=20).read()
    return opener


def _htmx_post(opener, url: str, fields: dict) -> int:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields, doseq=True).encode(), method="POST",
                                     headers={"HX-Request": "true"})
    try:
        with opener.open(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_deleting_an_account_while_its_requests_run_gives_no_5xx(app, live_url):
    """Saving answers (API and htmx) and calling the API while the account is deleted never gives a 500."""
    exam = gen_bank(app, per_objective=4)
    statuses: list[int] = []
    with captured_json_logs() as records:
        for round_ in range(6):
            user = gen_user(app, username=f"leaver{round_}")
            token = gen_token(app, user)
            client = app.test_client()
            quiz = client.post("/api/v1/quizzes", headers=bearer(token),
                               json={"exam_type": exam.slug, "count": 10}).get_json()
            with app.app_context():
                answers = [(q["id"], choice_ids(q["id"])) for q in quiz["questions"]]
            browser = _browser(live_url, user.username)
            stop = threading.Event()
            started = threading.Barrier(5)

            def hammer(worker: int) -> None:
                started.wait()
                n = 0
                while not stop.is_set():
                    question_id, choices = answers[(worker + n) % len(answers)]
                    if worker == 0:  # the browser's quiz screen saving a choice
                        number = (n % len(answers)) + 1
                        statuses.append(_htmx_post(browser, f"{live_url}/quizzes/{quiz['id']}/q/{number}/answer",
                                                   {"choice": answers[number - 1][1]}))
                    elif n % 3 == 2:
                        statuses.append(_request("GET", f"{live_url}/api/v1/users/me", token))
                    else:
                        statuses.append(_request("PUT", f"{live_url}/api/v1/quizzes/{quiz['id']}/answers/{question_id}",
                                                 token, {"choice_ids": choices}))
                    n += 1

            threads = [threading.Thread(target=hammer, args=(w,)) for w in range(4)]
            for thread in threads:
                thread.start()
            started.wait()
            time.sleep(0.05 + 0.02 * round_)
            with app.app_context():
                delete_user_account(db.session.get(User, user.id), RequestMeta(ip="127.0.0.1"))
            time.sleep(0.2)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    assert statuses and all(status < 500 for status in statuses), sorted(set(statuses))
    assert 401 in statuses  # the deletion did land while requests were running
    assert not [r for r in records[:-1] if r.get("level") == "ERROR"]
