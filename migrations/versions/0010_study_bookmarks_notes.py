"""study sessions, bookmarks with tags, private notes, question sources and confidence

Revision ID: 0010_study_bookmarks_notes
Revises: 0009_performance_items
Create Date: 2026-12-01 11:48:26.696528

- `study_sessions` and `study_questions`: untimed study runs and the questions drawn into them.
- `answers` also holds study answers: `attempt_id` becomes nullable and `study_session_id`
  is added; exactly one of the two is set (CHECK `one_origin`), and one study answer per
  question per session (unique). `confidence` (sure / unsure / guessed) is kept on answers and
  on `attempt_questions` for the review scheduling to come.
- The draw index gains `is_correct`, so the `missed` source (the latest answer to each question
  is wrong) is answered from the index alone; it replaces the old one, its prefix.
- `question_bookmarks` (the roadmap's table; its `notes` are the learner's `question_notes`
  row, so there is one note, not two), `bookmark_tags` and `question_notes`.
- `quiz_attempts.source` and `source_tag`: where a practice quiz drew its questions from.

"""
from alembic import op
import sqlalchemy as sa


# Rebuilt tables keep AUTOINCREMENT (migration 0006): SQLite batch mode copies a table to add a
# CHECK or change a column, and the copy must not start reusing ids.
NEVER_REUSE_IDS = {'sqlite_autoincrement': True}
CONFIDENCE_KNOWN = "confidence IS NULL OR confidence IN ('sure', 'unsure', 'guessed')"
SOURCE_KNOWN = "source IN ('all', 'unseen', 'missed', 'bookmarked', 'marked')"


# revision identifiers, used by Alembic.
revision = '0010_study_bookmarks_notes'
down_revision = '0009_performance_items'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('study_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=12), server_default='all', nullable=False),
    sa.Column('source_tag', sa.String(length=30), nullable=True),
    sa.Column('objective_codes', sa.JSON(), nullable=True),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('questions_viewed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('time_spent_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('current_position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source IN ('all', 'unseen', 'missed', 'bookmarked', 'marked')", name=op.f('ck_study_sessions_source_known')),
    sa.CheckConstraint('question_count > 0', name=op.f('ck_study_sessions_question_count_positive')),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_study_sessions_exam_id_exams'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_study_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_sessions')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_study_sessions_user_id_created_at', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('uq_study_sessions_one_open', ['user_id'], unique=True, sqlite_where=sa.text('finished_at IS NULL'), postgresql_where=sa.text('finished_at IS NULL'))

    op.create_table('question_bookmarks',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_bookmarks_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_question_bookmarks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'question_id', name=op.f('pk_question_bookmarks'))
    )
    with op.batch_alter_table('question_bookmarks', schema=None) as batch_op:
        batch_op.create_index('ix_question_bookmarks_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('question_notes',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_notes_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_question_notes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'question_id', name=op.f('pk_question_notes'))
    )
    with op.batch_alter_table('question_notes', schema=None) as batch_op:
        batch_op.create_index('ix_question_notes_user_id_updated_at', ['user_id', 'updated_at'], unique=False)

    op.create_table('study_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('choice_order', sa.JSON(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('is_correct', sa.Boolean(), nullable=True),
    sa.Column('confidence', sa.String(length=8), nullable=True),
    sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('skipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('time_spent_ms', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("confidence IS NULL OR confidence IN ('sure', 'unsure', 'guessed')", name=op.f('ck_study_questions_confidence_known')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_study_questions_question_id_questions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['study_sessions.id'], name=op.f('fk_study_questions_session_id_study_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_questions')),
    sa.UniqueConstraint('session_id', 'position', name=op.f('uq_study_questions_session_id_position')),
    sa.UniqueConstraint('session_id', 'question_id', name=op.f('uq_study_questions_session_id_question_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('study_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_questions_question_id'), ['question_id'], unique=False)

    op.create_table('bookmark_tags',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('tag_key', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['user_id', 'question_id'], ['question_bookmarks.user_id', 'question_bookmarks.question_id'], name='fk_bookmark_tags_bookmark', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bookmark_tags_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'question_id', 'tag_key', name=op.f('pk_bookmark_tags'))
    )
    with op.batch_alter_table('bookmark_tags', schema=None) as batch_op:
        batch_op.create_index('ix_bookmark_tags_user_id_tag_key', ['user_id', 'tag_key'], unique=False)

    with op.batch_alter_table('answers', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('study_session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confidence', sa.String(length=8), nullable=True))
        batch_op.alter_column('attempt_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.drop_index(batch_op.f('ix_answers_user_id_exam_id_question_id_answered_at'))
        batch_op.create_index('ix_answers_user_id_exam_id_question_id_answered_at_is_correct',
                              ['user_id', 'exam_id', 'question_id', 'answered_at', 'is_correct'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_answers_study_session_id_question_id'),
                                          ['study_session_id', 'question_id'])
        batch_op.create_foreign_key(batch_op.f('fk_answers_study_session_id_study_sessions'), 'study_sessions',
                                    ['study_session_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_answers_one_origin'),
                                         sa.text('(attempt_id IS NULL) <> (study_session_id IS NULL)'))
        batch_op.create_check_constraint(op.f('ck_answers_confidence_known'), sa.text(CONFIDENCE_KNOWN))

    with op.batch_alter_table('attempt_questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('confidence', sa.String(length=8), nullable=True))
        batch_op.create_check_constraint(op.f('ck_attempt_questions_confidence_known'), sa.text(CONFIDENCE_KNOWN))

    with op.batch_alter_table('quiz_attempts', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=12), server_default='all', nullable=False))
        batch_op.add_column(sa.Column('source_tag', sa.String(length=30), nullable=True))
        batch_op.create_check_constraint(op.f('ck_quiz_attempts_source_known'), sa.text(SOURCE_KNOWN))



def downgrade():
    with op.batch_alter_table('quiz_attempts', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_constraint(op.f('ck_quiz_attempts_source_known'), type_='check')
        batch_op.drop_column('source_tag')
        batch_op.drop_column('source')

    with op.batch_alter_table('attempt_questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_constraint(op.f('ck_attempt_questions_confidence_known'), type_='check')
        batch_op.drop_column('confidence')

    # The old schema has no place for study answers: they go before `attempt_id` is required again.
    op.execute(sa.text('DELETE FROM answers WHERE study_session_id IS NOT NULL'))
    with op.batch_alter_table('answers', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_constraint(op.f('ck_answers_confidence_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_answers_one_origin'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_answers_study_session_id_study_sessions'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_answers_study_session_id_question_id'), type_='unique')
        batch_op.drop_index('ix_answers_user_id_exam_id_question_id_answered_at_is_correct')
        batch_op.create_index(batch_op.f('ix_answers_user_id_exam_id_question_id_answered_at'),
                              ['user_id', 'exam_id', 'question_id', 'answered_at'], unique=False)
        batch_op.alter_column('attempt_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('confidence')
        batch_op.drop_column('study_session_id')

    with op.batch_alter_table('bookmark_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_bookmark_tags_user_id_tag_key')

    op.drop_table('bookmark_tags')
    with op.batch_alter_table('study_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_questions_question_id'))

    op.drop_table('study_questions')
    with op.batch_alter_table('question_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_question_notes_user_id_updated_at')

    op.drop_table('question_notes')
    with op.batch_alter_table('question_bookmarks', schema=None) as batch_op:
        batch_op.drop_index('ix_question_bookmarks_user_id_created_at')

    op.drop_table('question_bookmarks')
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.drop_index('uq_study_sessions_one_open', sqlite_where=sa.text('finished_at IS NULL'), postgresql_where=sa.text('finished_at IS NULL'))
        batch_op.drop_index('ix_study_sessions_user_id_created_at')

    op.drop_table('study_sessions')
