"""The bank import writes a question's versions: version 1 on insert, a new one on each change."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import gen_exam, gen_question
from tests.questions.factories import demo_questions, single_question, write_bank_folder, write_question_file
from webapp.extensions import db
from webapp.models import Question, QuestionVersion
from webapp.questions import bank


def _versions(external_id: str) -> list[tuple[int, str, bool, dict]]:
    question_id = db.session.scalar(sa.select(Question.id).where(Question.external_id == external_id))
    return [(row.version, row.origin, row.key_changed, row.content) for row in db.session.scalars(
        sa.select(QuestionVersion).where(QuestionVersion.question_id == question_id).order_by(QuestionVersion.version))]


def test_import_writes_version_one_and_a_version_per_change(ctx, tmp_path):
    """A new question gets version 1 with its file content; re-importing it unchanged adds
    nothing; a changed stem adds version 2; moving the key adds version 3 marked key_changed."""
    folder = write_bank_folder(tmp_path / "demo")
    bank.import_bank([folder])
    first = _versions("dmo-1.1-001")
    assert [(v, origin, changed) for v, origin, changed, _ in first] == [(1, "import", False)]
    assert first[0][3] == single_question("dmo-1.1-001")
    bank.import_bank([folder])
    assert len(_versions("dmo-1.1-001")) == 1

    questions = demo_questions()
    questions[0] = single_question("dmo-1.1-001", stem="Which option fits this scenario best?")
    write_question_file(folder / "questions.json", questions)
    bank.import_bank([folder])
    questions[0] = single_question("dmo-1.1-001", stem="Which option fits this scenario best?", correct=1)
    write_question_file(folder / "questions.json", questions)
    bank.import_bank([folder])
    history = _versions("dmo-1.1-001")
    assert [(v, origin, changed) for v, origin, changed, _ in history] == [
        (1, "import", False), (2, "import", False), (3, "import", True)]
    assert history[1][3]["stem"] == "Which option fits this scenario best?"
    assert [c["correct"] for c in history[2][3]["choices"]] == [False, True, False, False]
    assert len(_versions("dmo-1.2-001")) == 1


def test_import_snapshots_a_question_stored_without_versions(app, ctx, tmp_path):
    """A question loaded before versions were kept gets its old content as its current version
    before the import's change is recorded."""
    exam = gen_exam(app, slug="demo", id_prefix="dmo")
    gen_question(app, exam, external_id="dmo-1.1-001", stem="Old stem?")
    folder = tmp_path / "demo"
    write_bank_folder(folder, questions=[single_question("dmo-1.1-001")])
    bank.import_bank([folder])
    history = _versions("dmo-1.1-001")
    assert [(v, origin) for v, origin, _, _ in history] == [(1, "import"), (2, "import")]
    assert history[0][3]["stem"] == "Old stem?" and history[1][3]["stem"] == single_question("dmo-1.1-001")["stem"]
