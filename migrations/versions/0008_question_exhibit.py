"""optional exhibit on questions

Revision ID: 0008_question_exhibit
Revises: 0007_xp_credit
Create Date: 2026-12-01 10:00:00.000000

`questions.exhibit` holds a question's optional exhibit (a text block or a small table, shown above
the stem; docs/QUESTION_FORMAT.md). Existing rows start null; importing the bundled bank again
fills it for the questions that have one.

"""
from alembic import op
import sqlalchemy as sa


# A rebuilt `questions` table keeps AUTOINCREMENT (migration 0006): SQLite batch mode may copy the
# table to add or drop a column, and the copy must not start reusing ids.
NEVER_REUSE_IDS = {'sqlite_autoincrement': True}

# revision identifiers, used by Alembic.
revision = '0008_question_exhibit'
down_revision = '0007_xp_credit'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('exhibit', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_column('exhibit')
