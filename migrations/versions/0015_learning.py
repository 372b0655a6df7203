"""learning engine: review cards, their review log, mastery per objective, three new sources

Revision ID: 0015_learning
Revises: 0014_digest
Create Date: 2026-12-01 17:30:13.885256

- `review_cards`: one FSRS card per (learner, question), with the `fsrs.Card` fields; indexed
  (user, exam, due) for the due counts and the `due` draw.
- `review_logs`: one row per answer that reviewed a card (answer_id unique), with its rating.
- `objective_mastery`: recency-weighted tallies per (learner, objective), as of `as_of`.
- `quiz_attempts.source` and `study_sessions.source` also allow `due`, `sure_wrong` and
  `lucky_guess`.

All three tables are derived from `answers`: after this upgrade on a database with history, run
`flask reviews rebuild` once (docs/PRODUCTION.md, "Upgrading").
"""
from alembic import op
import sqlalchemy as sa

# Rebuilt tables keep AUTOINCREMENT (migration 0006).
NEVER_REUSE_IDS = {'sqlite_autoincrement': True}
OLD_SOURCES = "source IN ('all', 'unseen', 'missed', 'bookmarked', 'marked')"
NEW_SOURCES = "source IN ('all', 'unseen', 'missed', 'bookmarked', 'marked', 'due', 'sure_wrong', 'lucky_guess')"


def _sources(allowed: str) -> None:
    for table in ('quiz_attempts', 'study_sessions'):
        with op.batch_alter_table(table, schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_source_known'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_source_known'), sa.text(allowed))


# revision identifiers, used by Alembic.
revision = '0015_learning'
down_revision = '0014_digest'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('objective_mastery',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('weighted_answers', sa.Float(), nullable=False),
    sa.Column('weighted_correct', sa.Float(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_objective_mastery_exam_id_exams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['objective_id'], ['objectives.id'], name=op.f('fk_objective_mastery_objective_id_objectives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_objective_mastery_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'objective_id', name=op.f('pk_objective_mastery'))
    )
    with op.batch_alter_table('objective_mastery', schema=None) as batch_op:
        batch_op.create_index('ix_objective_mastery_user_id_exam_id', ['user_id', 'exam_id'], unique=False)

    op.create_table('review_cards',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.SmallInteger(), nullable=False),
    sa.Column('step', sa.SmallInteger(), nullable=True),
    sa.Column('stability', sa.Float(), nullable=True),
    sa.Column('difficulty', sa.Float(), nullable=True),
    sa.Column('due', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_review', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviews', sa.Integer(), server_default='0', nullable=False),
    sa.Column('lapses', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('state IN (1, 2, 3)', name=op.f('ck_review_cards_state_known')),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_review_cards_exam_id_exams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_review_cards_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_cards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'question_id', name=op.f('pk_review_cards'))
    )
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.create_index('ix_review_cards_user_id_exam_id_due', ['user_id', 'exam_id', 'due'], unique=False)

    op.create_table('review_logs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.CheckConstraint('rating IN (1, 2, 3, 4)', name=op.f('ck_review_logs_rating_known')),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_review_logs_answer_id_answers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_review_logs_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_logs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_logs')),
    sa.UniqueConstraint('answer_id', name=op.f('uq_review_logs_answer_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.create_index('ix_review_logs_user_id_question_id_reviewed_at', ['user_id', 'question_id', 'reviewed_at'], unique=False)

    _sources(NEW_SOURCES)


def downgrade():
    # Quizzes and sessions drawn from a new source keep their questions, recorded as `all`.
    for table in ('quiz_attempts', 'study_sessions'):
        op.execute(f"UPDATE {table} SET source = 'all' WHERE source IN ('due', 'sure_wrong', 'lucky_guess')")
    _sources(OLD_SOURCES)
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_review_logs_user_id_question_id_reviewed_at')

    op.drop_table('review_logs')
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_review_cards_user_id_exam_id_due')

    op.drop_table('review_cards')
    with op.batch_alter_table('objective_mastery', schema=None) as batch_op:
        batch_op.drop_index('ix_objective_mastery_user_id_exam_id')

    op.drop_table('objective_mastery')
