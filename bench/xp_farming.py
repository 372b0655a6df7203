"""Measurement: the issue-9 XP farming sequence against honest play of the same bank.

In process, against a fresh database (a temporary SQLite file, or --database-url, whose tables
are dropped first) with the bundled bank loaded, through the quiz services with the clock
injected (`now=`), as in production config (pace rule and all; the quiz-start limit is off, as
in every benchmark, and the sequence stays under it anyway):

  farming  3 blank 90-question submits at 0 s (their results expose the keys), then 5 "perfect"
           90-question practice quizzes answered from the exposed keys at 0 s, then a 0-second
           exam simulation answered from the keys ("passed" at 900).
  patient  the same sequence, but at exactly the minimum pace (XP_MIN_SECONDS_PER_QUESTION).
  honest   5 practice quizzes of 90 and one simulation at a realistic pace (--pace, default 45 s
           a question), every answer right (the best honest play can do); and the same at 80%.

Prints XP per step under the current rules (and what the old rules would have paid, from the
same results), the totals, and the ratio farming / honest.

Usage: python bench/xp_farming.py [--exam security] [--pace 45] [--database-url URL]
Exit status: 0 when farming and patient farming earn no more than honest play, 1 otherwise.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.generate_data import bench_config  # noqa: E402

PRACTICE_COUNT = 90


def old_rules_xp(body: dict) -> int:
    """What the rules before issue 9 paid for this result (10 a correct answer, bonuses regardless)."""
    xp = body["correct"] * 10
    if body["total"] >= 10:
        xp += 50 + (100 if body["correct"] == body["total"] else 0)
    if body["mode"] == "exam" and body["passed"]:
        xp += 200
    return xp


class Player:
    def __init__(self, user, exam_slug: str, start, rng: random.Random) -> None:
        self.user, self.exam_slug, self.clock, self.rng = user, exam_slug, start, rng
        self.key: dict[int, list[int]] | None = None
        self.accuracy = 1.0

    def play(self, mode: str, pace: float, blank: bool = False) -> tuple[dict, float]:
        from webapp.models import Choice
        from webapp.extensions import db
        from webapp.quiz import services as quiz

        began = time.perf_counter()
        request = quiz.QuizRequest(self.exam_slug, mode=mode, count=PRACTICE_COUNT if mode == "practice" else None)
        attempt = quiz.start_quiz(self.user, request, now=self.clock, rng=self.rng)
        started = self.clock
        questions = [(aq.question_id, aq.question.select_count, aq.question.type) for aq in attempt.questions]
        for qid, select_count, kind in questions:
            self.clock += timedelta(seconds=pace)
            if blank:
                continue
            if kind in ("ordering", "matching"):
                # Every player answers ordering and matching items from the stored key (a farmer reads it
                # from a blank submit's review just the same), wrong as often as its accuracy says.
                rows = db.session.execute(sa.select(Choice.id, Choice.target).where(Choice.question_id == qid)
                                          .order_by(Choice.position)).all()
                right = self.key is not None or self.rng.random() < self.accuracy
                if kind == "ordering":
                    order = [cid for cid, _ in rows]
                    quiz.save_answer(self.user, attempt.id, qid, order=order if right else order[::-1], now=self.clock)
                else:
                    matches = {str(cid): (target if right else None) for cid, target in rows}
                    quiz.save_answer(self.user, attempt.id, qid, matches=matches, now=self.clock)
                continue
            if self.key is not None:
                chosen = self.key[qid]
            else:
                right = self.rng.random() < self.accuracy
                chosen = list(db.session.scalars(sa.select(Choice.id).where(
                    Choice.question_id == qid, Choice.is_correct.is_(right)).order_by(Choice.position)))[:select_count]
            quiz.save_answer(self.user, attempt.id, qid, chosen, now=self.clock)
        body = quiz.submit_attempt(self.user, attempt.id, now=started + timedelta(seconds=pace * len(questions)))
        self.clock += timedelta(hours=2)
        return body, time.perf_counter() - began


def drop_everything(engine) -> None:
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    with engine.begin() as conn:
        for table in reversed(meta.sorted_tables):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}"'
                                 + (" CASCADE" if engine.dialect.name == "postgresql" else "")))
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def run(url: str, exam_slug: str, pace: float) -> int:
    from webapp import create_app
    from webapp.audit.services import RequestMeta
    from webapp.auth.services import register_user
    from webapp.extensions import db
    from webapp.models import Exam, Question
    from webapp.models.base import utcnow
    from webapp.questions.bank import load_bundled_bank_if_empty

    app = create_app(bench_config(url))
    meta = RequestMeta(ip="127.0.0.1", user_agent="xp-farming-bench", request_id="bench")
    with app.app_context():
        drop_everything(db.engine)
        upgrade()
        load_bundled_bank_if_empty()
        exam = db.session.scalar(sa.select(Exam).where(Exam.slug == exam_slug))
        bank_size = db.session.scalar(sa.select(sa.func.count(Question.id))
                                      .where(Question.exam_id == exam.id, Question.is_active.is_(True)))
        min_pace = app.config["XP_MIN_SECONDS_PER_QUESTION"]
        print(f"backend {db.engine.dialect.name}; exam {exam.code} with {bank_size} active questions; "
              f"XP_MIN_SECONDS_PER_QUESTION={min_pace}, XP_RECREDIT_DAYS={app.config['XP_RECREDIT_DAYS']}, "
              f"XP_COMPLETION_MIN_ANSWERED_PERCENT={app.config['XP_COMPLETION_MIN_ANSWERED_PERCENT']}, "
              f"XP_BONUS_MIN_CREDITED_PERCENT={app.config['XP_BONUS_MIN_CREDITED_PERCENT']}")
        start = utcnow() - timedelta(days=3)

        def player(name: str, seed: int) -> Player:
            user = register_user(f"{name}@example.com", name, "bench-password-0000", meta)
            return Player(user, exam_slug, start, random.Random(seed))

        def farm(name: str, step_pace: float) -> tuple[int, int]:
            p = player(name, 1)
            print(f"\n{name}: blank submits, then the scraped key, at {step_pace:g} s a question")
            print(f"  {'step':<34} {'score':>6} {'XP now':>7} {'XP old rules':>13} {'wall s':>7}  why no XP")
            total = old_total = 0
            p.key = {}
            # Enough blank submits to expose every key of the bank (3 when the issue was filed).
            blanks = -(-bank_size // PRACTICE_COUNT)
            steps = ([("blank practice submit", "practice", True)] * blanks + [("perfect practice (key)", "practice", False)] * 5
                     + [("simulation (key)", "exam", False)])
            for n, (label, mode, blank) in enumerate(steps, start=1):
                body, wall = p.play(mode, step_pace, blank=blank)
                if blank:
                    p.key.update({item["question_id"]: item["correct_choice_ids"] for item in body["review"]})
                total += body["xp_earned"]
                old_total += old_rules_xp(body)
                score = f"{body['scaled_score']}" if body["scaled_score"] is not None else f"{body['score_percent']:g}%"
                notes = ",".join(n_["code"] for n_ in body["xp_notes"]) or "-"
                print(f"  {n}. {label:<31} {score:>6} {body['xp_earned']:>7} {old_rules_xp(body):>13} {wall:>7.2f}  {notes}")
                if n == blanks:
                    print(f"     keys exposed after {blanks} blank submits: {len(p.key)} of {bank_size}")
            print(f"  total: {total} XP (the old rules: {old_total} XP)")
            return total, old_total

        def honest(name: str, accuracy: float) -> int:
            p = player(name, 2)
            p.accuracy = accuracy
            print(f"\n{name}: 5 practice quizzes of {PRACTICE_COUNT} + 1 simulation at {pace:g} s a question, "
                  f"{accuracy:.0%} right")
            total = 0
            for n, mode in enumerate(["practice"] * 5 + ["exam"], start=1):
                body, _wall = p.play(mode, pace)
                total += body["xp_earned"]
                notes = ",".join(n_["code"] for n_ in body["xp_notes"]) or "-"
                print(f"  {n}. {mode:<9} {body['correct']:>3}/{body['total']} right  {body['xp_earned']:>5} XP  {notes}")
            print(f"  total: {total} XP")
            return total

        farming, farming_old = farm("farmer", 0)
        patient, _ = farm("patient", min_pace)
        honest_perfect = honest("honest", 1.0)
        honest_typical = honest("typical", 0.8)
    print("\nsummary")
    print(f"  farming (issue sequence, 0 s):     {farming:>6} XP   (old rules: {farming_old})")
    print(f"  farming at the minimum pace:       {patient:>6} XP")
    print(f"  honest play, every answer right:   {honest_perfect:>6} XP")
    print(f"  honest play, 80% right:            {honest_typical:>6} XP")
    print(f"  ratio farming / honest (perfect):  {farming / honest_perfect:.2f}")
    print(f"  ratio patient farming / honest:    {patient / honest_perfect:.2f}")
    ok = farming <= honest_perfect and patient <= honest_perfect
    print("PASS: farming earns no more than honest play" if ok else "FAIL: farming out-earns honest play")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exam", default="security")
    parser.add_argument("--pace", type=float, default=45.0, help="honest seconds a question")
    parser.add_argument("--database-url", default=None, help="a throwaway database: its tables are dropped")
    args = parser.parse_args()
    if args.database_url:
        return run(args.database_url, args.exam, args.pace)
    with tempfile.TemporaryDirectory(prefix="certquest-xp-farming-") as tmp:
        return run(f"sqlite:///{Path(tmp) / 'xp.db'}", args.exam, args.pace)


if __name__ == "__main__":
    sys.exit(main())
