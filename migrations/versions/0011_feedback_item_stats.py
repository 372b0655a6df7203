"""question feedback, item statistics, question versions

Revision ID: 0011_feedback_item_stats
Revises: 0010_study_bookmarks_notes
Create Date: 2026-12-01 14:32:49.706188

- `question_feedback`: the roadmap's table (`user_id` SET NULL, `question_id` CASCADE, status
  pending / resolved / dismissed) plus who resolved it, when, the admin's note, and when the
  reporter saw the outcome. A partial unique index keeps one open report per learner per question.
- `question_stats`: the item statistics `flask questions item-stats` writes and the triage queue
  reads (one row per question).
- `question_versions`: each version of a question's content, for the editor's diff and history,
  and for "this question was corrected on <date>" in reviews.
- `questions.withdrawn_at`: set when enough learners report a wrong key; new draws leave the
  question out until an admin resolves the reports.
"""
from alembic import op
import sqlalchemy as sa

# Rebuilt tables keep AUTOINCREMENT (migration 0006).
NEVER_REUSE_IDS = {'sqlite_autoincrement': True}

# revision identifiers, used by Alembic.
revision = '0011_feedback_item_stats'
down_revision = '0010_study_bookmarks_notes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('question_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('feedback_type', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('resolution_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("feedback_type IN ('incorrect', 'typo', 'unclear', 'other')", name=op.f('ck_question_feedback_feedback_type_known')),
    sa.CheckConstraint("status IN ('pending', 'resolved', 'dismissed')", name=op.f('ck_question_feedback_status_known')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_feedback_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_question_feedback_resolved_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_question_feedback_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_feedback')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('question_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_question_feedback_question_id_status', ['question_id', 'status'], unique=False)
        batch_op.create_index('ix_question_feedback_user_id_created_at', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('uq_question_feedback_open', ['user_id', 'question_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('question_stats',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('responses', sa.Integer(), server_default='0', nullable=False),
    sa.Column('facility', sa.Double(), nullable=True),
    sa.Column('discrimination', sa.Double(), nullable=True),
    sa.Column('choice_counts', sa.JSON(), nullable=True),
    sa.Column('top_group', sa.Integer(), server_default='0', nullable=False),
    sa.Column('bottom_group', sa.Integer(), server_default='0', nullable=False),
    sa.Column('median_seconds', sa.Double(), nullable=True),
    sa.Column('is_suspect', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('suspect_reasons', sa.JSON(), nullable=True),
    sa.Column('suspicion_score', sa.Double(), server_default='0', nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_stats_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', name=op.f('pk_question_stats'))
    )
    with op.batch_alter_table('question_stats', schema=None) as batch_op:
        batch_op.create_index('ix_question_stats_is_suspect_suspicion_score', ['is_suspect', 'suspicion_score'], unique=False)

    op.create_table('question_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('key_changed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('edited_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("origin IN ('import', 'admin')", name=op.f('ck_question_versions_origin_known')),
    sa.ForeignKeyConstraint(['edited_by'], ['users.id'], name=op.f('fk_question_versions_edited_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_versions_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_versions')),
    sa.UniqueConstraint('question_id', 'version', name=op.f('uq_question_versions_question_id_version')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_column('withdrawn_at')

    op.drop_table('question_versions')
    with op.batch_alter_table('question_stats', schema=None) as batch_op:
        batch_op.drop_index('ix_question_stats_is_suspect_suspicion_score')

    op.drop_table('question_stats')
    with op.batch_alter_table('question_feedback', schema=None) as batch_op:
        batch_op.drop_index('uq_question_feedback_open', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_question_feedback_user_id_created_at')
        batch_op.drop_index('ix_question_feedback_question_id_status')

    op.drop_table('question_feedback')
