"""Portal links have a purpose: an invitation (the first password of an account it opened) or a password reset.

Revision ID: 5f1e2a7c9b3d
Revises: 5e1c0a7d9b3f
Create Date: 2026-12-06 07:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5f1e2a7c9b3d"
down_revision = "5e1c0a7d9b3f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("portal_invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=16), server_default="invite", nullable=False))


def downgrade():
    with op.batch_alter_table("portal_invites", schema=None) as batch_op:
        batch_op.drop_column("purpose")
