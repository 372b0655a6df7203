"""The base layout: landmarks, skip link, vendored htmx, CSRF header, htmx config."""

from __future__ import annotations

import json
import re

from config import ROOT


def test_landing_page_describes_the_product(client):
    """The landing page says what CertQuest does and names the four exams."""
    html = client.get("/").get_data(as_text=True)
    for text in ["Security+", "Network+", "A+ Core 1", "SY0-701", "N10-009", "220-1201", "220-1202", "exam simulations"]:
        assert text in html


def test_base_layout_has_landmarks_and_skip_link(client):
    """Skip link, header, nav, main and footer landmarks are present."""
    html = client.get("/").get_data(as_text=True)
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert "<header" in html and '<nav class="site-nav" aria-label="Main">' in html and "<footer" in html
    assert 'lang="en"' in html


def test_htmx_is_vendored_not_from_a_cdn(client):
    """The page loads htmx 2.0.11 from /static/vendor and no script from another host."""
    html = client.get("/").get_data(as_text=True)
    assert 'src="/static/vendor/htmx-2.0.11.min.js"' in html
    assert not re.search(r'<script[^>]+src="(https?:)?//', html)
    vendored = (ROOT / "static" / "vendor" / "htmx-2.0.11.min.js").read_text()
    assert 'version:"2.0.11"' in vendored
    assert client.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200


def test_body_carries_csrf_header_for_htmx(client):
    """`<body hx-headers>` carries the CSRF token for non-form htmx requests."""
    html = client.get("/").get_data(as_text=True)
    match = re.search(r"<body hx-headers='([^']+)'", html)
    assert match
    assert json.loads(match.group(1))["X-CSRFToken"]


def test_htmx_config_is_locked_down(client):
    """htmx only talks to this origin, never evaluates strings, and adds no inline styles."""
    html = client.get("/").get_data(as_text=True)
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'", html).group(1))
    assert config["selfRequestsOnly"] is True
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
