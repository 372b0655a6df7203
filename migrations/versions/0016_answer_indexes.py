"""answers indexes for the latest verdict and pacing

Revision ID: 0016_answer_indexes
Revises: 0015_learning
Create Date: 2026-12-02 00:23:36.973746

- The latest verdict per question (the `missed`, `sure_wrong` and `lucky_guess` sources, the
  recommendations' unseen and missed counts) probes each question's latest answer, ties on
  `answered_at` going to the later row. The old index (user_id, exam_id, question_id,
  answered_at, is_correct) did not hold `id`, so PostgreSQL sorted each probe's rows and read the
  table for them (8.5 ms for the bench's heavy learner's 1,192 questions). The new one is in the
  rule's order and holds the verdict and the confidence: an index-only probe. It replaces the old
  one, whose every use it covers (same leading columns).
- Pacing (webapp/analytics/pacing.py) reads the timed answers of one exam: (user_id, exam_id,
  time_spent_seconds, ...) holds every column it reads, and lists the slowest in order without a
  sort (the slow list had read all of a heavy learner's answers for 20 rows).

- PostgreSQL only: ANALYZE `questions` and `users`. Their columns added by earlier migrations
  on tables that rarely change (`questions.withdrawn_at`, `users.digest_opt_in`) had no
  statistics until autovacuum's next analyze, which a table with few writes may never reach: the
  planner then took `withdrawn_at IS NULL` to keep 0.5% of the questions, and the due counts
  probed the cards once per question (5.4 ms for the bench's heavy learner instead of 0.4).

bench/analytics_bench.py and bench/learning_bench.py measure them (docs/PERFORMANCE.md).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016_answer_indexes'
down_revision = '0015_learning'
branch_labels = None
depends_on = None

OLD = 'ix_answers_user_id_exam_id_question_id_answered_at_is_correct'
VERDICT = 'ix_answers_user_id_exam_id_question_id_answered_at_id'
PACING = 'ix_answers_user_id_exam_id_time_spent_seconds'


def upgrade():
    op.create_index(VERDICT, 'answers', ['user_id', 'exam_id', 'question_id', 'answered_at', 'id', 'is_correct',
                                         'confidence'], unique=False)
    op.drop_index(OLD, table_name='answers')
    op.create_index(PACING, 'answers', ['user_id', 'exam_id', 'time_spent_seconds', 'objective_id', 'question_id',
                                        'answered_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE questions')
        op.execute('ANALYZE users')


def downgrade():
    op.drop_index(PACING, table_name='answers')
    op.create_index(OLD, 'answers', ['user_id', 'exam_id', 'question_id', 'answered_at', 'is_correct'], unique=False)
    op.drop_index(VERDICT, table_name='answers')
