"""index answers for the unseen-first draw

Revision ID: 0005_draw_index
Revises: 0004_gamification
Create Date: 2026-11-27 04:23:00.497598

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_draw_index'
down_revision = '0004_gamification'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index('ix_answers_user_id_exam_id_question_id_answered_at', ['user_id', 'exam_id', 'question_id', 'answered_at'], unique=False)


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_user_id_exam_id_question_id_answered_at')
