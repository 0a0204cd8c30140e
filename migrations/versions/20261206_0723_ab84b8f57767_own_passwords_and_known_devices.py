"""Accounts whose password an administrator chose must change it at first sign-in; sign-in attempts say whether they
came from a device or address that signed in to that account before (the per-account throttle spares those).

Revision ID: ab84b8f57767
Revises: 5e1b7c3a9d42
Create Date: 2026-12-06 07:23:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "ab84b8f57767"
down_revision = "5e1b7c3a9d42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("login_attempts") as batch_op:
        batch_op.add_column(sa.Column("known_device", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("login_attempts") as batch_op:
        batch_op.drop_column("known_device")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("must_change_password")
