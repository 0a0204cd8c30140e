"""Reminders may have a time of day (`due_at`, the UTC instant of that time on `due_on` in the operator's zone).

Revision ID: 7c3d9e1f2a64
Revises: 5f1e2a7c9b3d
Create Date: 2026-12-06 08:43:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7c3d9e1f2a64"
down_revision = "5f1e2a7c9b3d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_column("due_at")
