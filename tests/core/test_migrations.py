"""Migrations and models agree on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.database import HAND_WRITTEN_INDEXES, include_in_autogenerate
from webapp.extensions import db


def test_models_match_migrations(app):
    """`flask db migrate` would generate nothing: every schema change has a migration."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                         "include_object": include_in_autogenerate})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_hand_written_indexes_exist(app):
    """The expression indexes autogenerate skips are really created by the migrations."""
    import sqlalchemy as sa

    with app.app_context():
        inspector = sa.inspect(db.engine)
        names = {ix["name"] for table in ("users", "weekly_xp") for ix in inspector.get_indexes(table)}
    assert HAND_WRITTEN_INDEXES <= names


def test_upgrade_to_0006_keeps_rows_and_stops_reusing_ids(app, db_label):
    """From 0005 with data: ids, links and partial indexes survive, every account gets its own
    session secret, and a deleted row's id is not handed out again."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from tests.factories import gen_exam, gen_user
    from webapp.models import AttemptStatus, QuizAttempt, QuizMode

    users = sa.table("users", sa.column("id"), sa.column("email"), sa.column("username"),
                     sa.column("password_hash"), sa.column("created_at"))
    tokens = sa.table("api_tokens", sa.column("id"), sa.column("user_id"), sa.column("name"),
                      sa.column("token_hash"), sa.column("prefix"), sa.column("created_at"),
                      sa.column("expires_at"))
    with app.app_context():
        db.session.remove()
        downgrade(revision="0005_draw_index")
        try:
            with db.engine.begin() as conn:
                for n in (1, 2, 3):
                    conn.execute(users.insert().values(email=f"old{n}@example.com", username=f"old{n}",
                                                       password_hash="x", created_at="2026-01-01"))
                ids = dict(conn.execute(sa.select(users.c.username, users.c.id)).all())
                conn.execute(tokens.insert().values(user_id=ids["old3"], name="t", token_hash="h" * 64,
                                                    prefix="cq_", created_at="2026-01-01",
                                                    expires_at="2030-01-01"))
        finally:
            upgrade()
        with db.engine.begin() as conn:
            rows = conn.execute(sa.text("SELECT username, id, session_secret FROM users")).all()
            assert {r.username: r.id for r in rows} == ids
            assert len({r.session_secret for r in rows}) == 3 and all(len(r.session_secret) >= 43 for r in rows)
            assert conn.execute(sa.select(tokens.c.user_id)).scalars().all() == [ids["old3"]]
            # The highest id goes; on SQLite without AUTOINCREMENT the next row would take it again.
            conn.execute(tokens.delete())
            conn.execute(users.delete().where(users.c.id == ids["old3"]))
    fresh = gen_user(app, username="newcomer")
    assert fresh.id > ids["old3"]

    # The partial unique index still allows one quiz in progress per user, and only one.
    exam = gen_exam(app)
    with app.app_context():
        def attempt(status: AttemptStatus) -> QuizAttempt:
            return QuizAttempt(user_id=fresh.id, exam_id=exam.id, mode=QuizMode.PRACTICE, status=status,
                               question_count=5)

        db.session.add_all([attempt(AttemptStatus.COMPLETED), attempt(AttemptStatus.COMPLETED),
                            attempt(AttemptStatus.IN_PROGRESS)])
        db.session.commit()
        db.session.add(attempt(AttemptStatus.IN_PROGRESS))
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
        else:
            raise AssertionError("a second quiz in progress was accepted")
