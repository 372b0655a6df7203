"""never reuse ids; a random session secret replaces the session version

Revision ID: 0006_never_reuse_ids
Revises: 0005_draw_index
Create Date: 2026-12-01 09:30:00.000000

SQLite hands the highest rowid out again after a delete, so a deleted account's cookie or a
deleted attempt's URL named the next new row. Every table whose integer id a URL, form or
cookie can name is rebuilt WITH AUTOINCREMENT on SQLite; PostgreSQL sequences never reuse a
value, so there only the users columns change. migrations/env.py runs SQLite migrations with
foreign keys off (a rebuild drops the old table, which would otherwise cascade) and checks
them before committing.

`users.session_version` (a counter starting at 1, the same for every new account) becomes
`users.session_secret`, 32 random bytes per account, so no cookie can name another account.
Existing sessions end once: they carry the old identity format.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_never_reuse_ids'
down_revision = '0005_draw_index'
branch_labels = None
depends_on = None

# Parents before children (any order works with foreign keys off; this one reads naturally).
TABLES_WITH_SURROGATE_IDS = (
    'users', 'api_tokens', 'audit_events',
    'exams', 'domains', 'objectives', 'questions', 'choices',
    'quiz_attempts', 'attempt_questions', 'answers',
    'xp_events', 'user_achievements',
)


def _drop_partial_indexes():
    """Partial and expression indexes do not survive SQLite reflection; rebuilt by hand."""
    op.drop_index('ix_users_leaderboard', table_name='users')
    op.drop_index('uq_quiz_attempts_one_in_progress', table_name='quiz_attempts')


def _create_partial_indexes():
    op.create_index('ix_users_leaderboard', 'users', [sa.text('xp DESC'), 'xp_reached_at', 'id'],
                    sqlite_where=sa.text('show_on_leaderboard = 1 AND is_active = 1'),
                    postgresql_where=sa.text('show_on_leaderboard AND is_active'))
    op.create_index('uq_quiz_attempts_one_in_progress', 'quiz_attempts', ['user_id'], unique=True,
                    sqlite_where=sa.text("status = 'in_progress'"),
                    postgresql_where=sa.text("status = 'in_progress'"))


def _rebuild_sqlite_tables(autoincrement):
    for name in TABLES_WITH_SURROGATE_IDS:
        with op.batch_alter_table(name, recreate='always',
                                  table_kwargs={'sqlite_autoincrement': autoincrement}):
            pass


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        _drop_partial_indexes()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_secret', sa.String(length=64), nullable=True))
        batch_op.drop_column('session_version')

    # A random secret per existing account (no SQL function is random enough on both databases).
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('session_secret', sa.String()))
    ids = bind.execute(sa.select(users.c.id)).scalars().all()
    if ids:
        bind.execute(users.update().where(users.c.id == sa.bindparam('user_id'))
                     .values(session_secret=sa.bindparam('secret')),
                     [{'user_id': user_id, 'secret': secrets.token_urlsafe(32)} for user_id in ids])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_secret', existing_type=sa.String(length=64), nullable=False)

    if sqlite:
        _rebuild_sqlite_tables(autoincrement=True)
        _create_partial_indexes()


def downgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        _drop_partial_indexes()
        _rebuild_sqlite_tables(autoincrement=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.drop_column('session_secret')
    if sqlite:
        _create_partial_indexes()
