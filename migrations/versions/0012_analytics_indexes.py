"""analytics indexes

Revision ID: 0012_analytics_indexes
Revises: 0011_feedback_item_stats
Create Date: 2026-12-01 14:57:56.664010

Why: the domain-performance analytics (webapp/analytics/services.py) tally one learner's answers
on one exam per objective, split at the trend window (`answered_at`), counting the right ones.
No existing index holds `objective_id` and `answered_at` together, so each of a heavy learner's
~11,000 answers was a table-row lookup (about 40 ms on SQLite at 1M answers). With
(user_id, exam_id, objective_id, answered_at, is_correct) the query reads the index alone (a
covering index on SQLite, an index-only scan on PostgreSQL). bench/analytics_bench.py measures it.
Index only: no data changes, and the downgrade drops it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_analytics_indexes'
down_revision = '0011_feedback_item_stats'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index('ix_answers_user_id_exam_id_objective_id_answered_at_is_correct', ['user_id', 'exam_id', 'objective_id', 'answered_at', 'is_correct'], unique=False)


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_user_id_exam_id_objective_id_answered_at_is_correct')
