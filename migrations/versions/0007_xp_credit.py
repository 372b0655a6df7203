"""per-question XP credit and answered counts

Revision ID: 0007_xp_credit
Revises: 0006_never_reuse_ids
Create Date: 2026-12-01 09:30:00.000000

`answers.xp_awarded` marks the correct answers that earned XP (a question earns XP again only
after XP_RECREDIT_DAYS); existing rows start false and `flask gamification recompute` replays
the history to set them (and to apply the XP rules to past attempts).
`attempt_results.answered` is backfilled here from the attempts' saved selections.

"""
from alembic import op
import sqlalchemy as sa


# A rebuilt `answers` table keeps AUTOINCREMENT (migration 0006): SQLite batch mode may copy the
# table to drop or add a column, and the copy must not start reusing ids.
NEVER_REUSE_IDS = {'sqlite_autoincrement': True}

# revision identifiers, used by Alembic.
revision = '0007_xp_credit'
down_revision = '0006_never_reuse_ids'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answers', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('xp_awarded', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('attempt_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered', sa.Integer(), server_default='0', nullable=False))
    # An unanswered question stores an empty JSON list (or null).
    op.execute(sa.text(
        "UPDATE attempt_results SET answered = ("
        "SELECT count(*) FROM attempt_questions"
        " WHERE attempt_questions.attempt_id = attempt_results.attempt_id"
        " AND attempt_questions.selected_choice_ids IS NOT NULL"
        " AND CAST(attempt_questions.selected_choice_ids AS TEXT) NOT IN ('[]', 'null'))"))


def downgrade():
    with op.batch_alter_table('attempt_results', schema=None) as batch_op:
        batch_op.drop_column('answered')
    with op.batch_alter_table('answers', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_column('xp_awarded')
