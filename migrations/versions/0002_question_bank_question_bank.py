"""question bank: exams, domains, objectives, questions, choices

Revision ID: 0002_question_bank
Revises: 0001_accounts
Create Date: 2026-11-27 03:22:19.032128

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_question_bank'
down_revision = '0001_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('vendor', sa.String(length=60), nullable=False),
    sa.Column('id_prefix', sa.String(length=16), nullable=False),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('passing_score', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_exams_duration_positive')),
    sa.CheckConstraint('passing_score BETWEEN 100 AND 900', name=op.f('ck_exams_passing_score_range')),
    sa.CheckConstraint('question_count > 0', name=op.f('ck_exams_question_count_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exams')),
    sa.UniqueConstraint('id_prefix', name=op.f('uq_exams_id_prefix')),
    sa.UniqueConstraint('slug', name=op.f('uq_exams_slug'))
    )
    op.create_table('domains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('weight_percent', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('weight_percent BETWEEN 0 AND 100', name=op.f('ck_domains_weight_percent_range')),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_domains_exam_id_exams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domains')),
    sa.UniqueConstraint('exam_id', 'number', name=op.f('uq_domains_exam_id_number'))
    )
    op.create_table('objectives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_objectives_domain_id_domains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_objectives_exam_id_exams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objectives')),
    sa.UniqueConstraint('exam_id', 'code', name=op.f('uq_objectives_exam_id_code'))
    )
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objectives_domain_id'), ['domain_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('select_count', sa.Integer(), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=True),
    sa.Column('difficulty', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('flag_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('is_flagged', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(type = 'single' AND select_count = 1) OR (type = 'multiple' AND select_count >= 2)", name=op.f('ck_questions_select_count_matches_type')),
    sa.CheckConstraint("type IN ('single', 'multiple')", name=op.f('ck_questions_type_known')),
    sa.CheckConstraint('difficulty BETWEEN 1 AND 3', name=op.f('ck_questions_difficulty_range')),
    sa.CheckConstraint('flag_count >= 0', name=op.f('ck_questions_flag_count_non_negative')),
    sa.CheckConstraint('select_count BETWEEN 1 AND 3', name=op.f('ck_questions_select_count_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_questions_version_positive')),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_questions_exam_id_exams'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['objective_id'], ['objectives.id'], name=op.f('fk_questions_objective_id_objectives'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('external_id', name=op.f('uq_questions_external_id'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index('ix_questions_exam_id_is_active', ['exam_id', 'is_active'], unique=False)
        batch_op.create_index('ix_questions_objective_id_is_active', ['objective_id', 'is_active'], unique=False)

    op.create_table('choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('is_correct', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_choices_position_non_negative')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_choices_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_choices')),
    sa.UniqueConstraint('question_id', 'position', name=op.f('uq_choices_question_id_position'))
    )


def downgrade():
    op.drop_table('choices')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_objective_id_is_active')
        batch_op.drop_index('ix_questions_exam_id_is_active')

    op.drop_table('questions')
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objectives_domain_id'))

    op.drop_table('objectives')
    op.drop_table('domains')
    op.drop_table('exams')
