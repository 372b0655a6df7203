"""The short load test: bench/load.py with 20 learners for 30 s on the production stack (nginx,
gunicorn with its production config, Redis) over the suite's database, with the full run's checks.

bench/load.py runs in its own process: Locust's gevent patches the standard library of whatever
process imports it, which must not be the test suite's.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import require_tool
from tests.tools.servers import ROOT, find_binary

LEARNERS = 20
SECONDS = 30
# The script's own run: ramp (4 s) + 30 s of load + start-up and checks; far below this unless stuck.
TIMEOUT_SECONDS = 240


def test_short_load_run_passes_every_check(app, tmp_path):
    """20 learners from 20 addresses for 30 s: 0 errors, p95 < 300 ms per operation, XP = ledger, no lost answers."""
    require_tool(find_binary("nginx"), "nginx")
    require_tool(find_binary("redis-server"), "redis-server")
    report_path = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--learners", str(LEARNERS), "--duration", str(SECONDS),
         "--think", "1", "--database-url", app.config["SQLALCHEMY_DATABASE_URI"], "--json", str(report_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    assert report_path.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["failures"] == [], proc.stdout[-4000:]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert report["learners"] == LEARNERS and report["addresses"] == LEARNERS
    operations = {row["name"]: row for row in report["operations"]}
    for name in ("catalogue /exams", "quiz answer (htmx change)", "quiz submit (htmx)", "study answer (htmx)",
                 "progress", "leaderboard", "api quiz answer", "api quiz submit"):
        assert operations[name]["requests"] > 0, name
    assert report["quizzes_submitted"] > 0 and report["answers_checked"] >= 10 * report["quizzes_submitted"]
    assert report["xp"]["learners"] == LEARNERS
