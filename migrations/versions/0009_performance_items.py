"""ordering and matching questions (performance-based items)

Revision ID: 0009_performance_items
Revises: 0008_question_exhibit
Create Date: 2026-12-01 10:40:00.000000

Two new question types. Their items reuse `choices` rows (text, rationale, `position` as the
correct order); a matching item's correct target is `choices.target`, an index into the new
`questions.targets` list, and `questions.reuse_targets` says whether items may share a target.
A learner's order or matches are stored on the attempt question as `attempt_questions.response`
(JSON), next to `selected_choice_ids` for the choice types. The type CHECKs admit the new types
(with `select_count` 1, unused).

"""
from alembic import op
import sqlalchemy as sa


# Rebuilt tables keep AUTOINCREMENT (migration 0006): SQLite batch mode copies a table to change
# a CHECK, and the copy must not start reusing ids.
NEVER_REUSE_IDS = {'sqlite_autoincrement': True}

OLD_TYPE_KNOWN = "type IN ('single', 'multiple')"
OLD_SELECT_COUNT = "(type = 'single' AND select_count = 1) OR (type = 'multiple' AND select_count >= 2)"
TYPE_KNOWN = "type IN ('single', 'multiple', 'ordering', 'matching')"
SELECT_COUNT = ("(type = 'single' AND select_count = 1) OR (type = 'multiple' AND select_count >= 2) "
                "OR (type IN ('ordering', 'matching') AND select_count = 1)")

# revision identifiers, used by Alembic.
revision = '0009_performance_items'
down_revision = '0008_question_exhibit'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('targets', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('reuse_targets', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_constraint(op.f('ck_questions_type_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_questions_select_count_matches_type'), type_='check')
        batch_op.create_check_constraint(op.f('ck_questions_type_known'), sa.text(TYPE_KNOWN))
        batch_op.create_check_constraint(op.f('ck_questions_select_count_matches_type'), sa.text(SELECT_COUNT))
    with op.batch_alter_table('choices', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('target', sa.Integer(), nullable=True))
    with op.batch_alter_table('attempt_questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('response', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('attempt_questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_column('response')
    with op.batch_alter_table('choices', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_column('target')
    # The old CHECKs reject ordering and matching questions: retire and remove them before downgrading.
    with op.batch_alter_table('questions', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_constraint(op.f('ck_questions_select_count_matches_type'), type_='check')
        batch_op.drop_constraint(op.f('ck_questions_type_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_questions_type_known'), sa.text(OLD_TYPE_KNOWN))
        batch_op.create_check_constraint(op.f('ck_questions_select_count_matches_type'), sa.text(OLD_SELECT_COUNT))
        batch_op.drop_column('reuse_targets')
        batch_op.drop_column('targets')
