"""daily goals, exam dates, goal days

Revision ID: 0013_goals
Revises: 0012_analytics_indexes
Create Date: 2026-12-01 15:17:20.420825

- `daily_goals`: one goal per learner per type (daily questions or daily minutes), replaced when
  posted again.
- `exam_dates`: the day a learner sits each exam (optional), for the suggested daily target
  and the dashboard's countdown.
- `goal_days`: the local days on which every goal was reached, written with the answer that
  reached it; the goal streak and history read it, and `announced_at` says "goal reached" once.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_goals'
down_revision = '0012_analytics_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('daily_goals',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('goal_type', sa.String(length=20), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("goal_type IN ('daily_questions', 'daily_minutes')", name=op.f('ck_daily_goals_goal_type_known')),
    sa.CheckConstraint('target > 0', name=op.f('ck_daily_goals_target_positive')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_daily_goals_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'goal_type', name=op.f('pk_daily_goals'))
    )
    op.create_table('exam_dates',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('exam_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_exam_dates_exam_id_exams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_exam_dates_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'exam_id', name=op.f('pk_exam_dates'))
    )
    op.create_table('goal_days',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_goal_days_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_goal_days'))
    )


def downgrade():
    op.drop_table('goal_days')
    op.drop_table('exam_dates')
    op.drop_table('daily_goals')
