"""weekly digest

Revision ID: 0014_digest
Revises: 0013_goals
Create Date: 2026-12-01 15:43:06.012743

- `users.digest_opt_in`: the weekly digest email is off until the learner switches it on.
- `digest_log`: one row per learner per ISO week (unique), claimed before sending, so a digest
  goes out once even when the command runs twice or on two servers; failed weeks are retried.
"""
from alembic import op
import sqlalchemy as sa

# Rebuilt tables keep AUTOINCREMENT (migration 0006).
NEVER_REUSE_IDS = {'sqlite_autoincrement': True}


# revision identifiers, used by Alembic.
revision = '0014_digest'
down_revision = '0013_goals'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('digest_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('iso_week', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('sending', 'sent', 'failed')", name=op.f('ck_digest_log_status_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_log_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_log')),
    sa.UniqueConstraint('user_id', 'iso_week', name=op.f('uq_digest_log_user_id_iso_week')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('digest_log', schema=None) as batch_op:
        batch_op.create_index('ix_digest_log_iso_week_status', ['iso_week', 'status'], unique=False)

    with op.batch_alter_table('users', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('digest_opt_in', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_column('digest_opt_in')

    with op.batch_alter_table('digest_log', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_log_iso_week_status')

    op.drop_table('digest_log')
