"""docs/WORKFLOWS.md: every curl and Python example runs, as written, against a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from config import ROOT
from tests.conftest import require_tool
from tests.factories import gen_bank
from tests.tools.servers import find_binary

WORKFLOWS = (ROOT / "docs" / "WORKFLOWS.md").read_text()
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```$", re.S | re.M)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(WORKFLOWS) if lang == language]


def test_every_workflow_has_both_a_curl_and_a_python_example():
    """Each numbered workflow gives the shell version and the Python version."""
    sections = re.split(r"^## \d+\. ", WORKFLOWS, flags=re.M)[1:]
    assert len(sections) >= 6
    for section in sections:
        languages = [lang for lang, _body in BLOCK.findall(section)]
        assert languages == ["sh", "python"], section.splitlines()[0]


@pytest.fixture()
def bank(app):
    """The exam the examples use (security), with single, multiple, ordering and matching questions."""
    gen_bank(app, slug="security", per_objective=3, multiple_per_objective=1, pbq_per_objective=2)


@pytest.mark.parametrize("language", ["sh", "python"])
def test_workflow_examples_run_against_a_live_server(language, bank, live_url, tmp_path):
    """The blocks of one language run in order as one script (later blocks reuse the token) and
    exit 0; curl's -f and requests' raise_for_status make any 4xx or 5xx fail them."""
    if language == "sh":
        for tool in ("curl", "jq"):
            require_tool(find_binary(tool), tool)
        script = "set -euo pipefail\n" + "\n".join(_blocks("sh"))
        command = ["bash", "-c", script]
    else:
        command = [sys.executable, "-c", "\n".join(_blocks("python"))]
    done = subprocess.run(command, env={**os.environ, "CERTQUEST_URL": live_url}, capture_output=True, text=True,
                          timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) > 10  # every workflow printed what it read
    if language == "sh":
        assert lines[-1] == "204"  # the token's revocation
