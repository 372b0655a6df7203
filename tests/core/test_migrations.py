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
