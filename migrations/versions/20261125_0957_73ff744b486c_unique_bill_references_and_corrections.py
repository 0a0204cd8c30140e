"""A hospital bill is received once per invoice number and corrected once.

Revision ID: 73ff744b486c
Revises: 83e8ec0e9e15
Create Date: 2026-11-25 09:57:11.351814

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "73ff744b486c"
down_revision = "83e8ec0e9e15"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hospital_bills", schema=None) as batch_op:
        batch_op.create_index(
            "uq_hospital_bills_hospital_reference",
            ["hospital_id", "reference"],
            unique=True,
            sqlite_where=sa.text("supersedes_id IS NULL"),
            postgresql_where=sa.text("supersedes_id IS NULL"),
        )
        batch_op.create_index("uq_hospital_bills_supersedes_id", ["supersedes_id"], unique=True)


def downgrade():
    with op.batch_alter_table("hospital_bills", schema=None) as batch_op:
        batch_op.drop_index("uq_hospital_bills_supersedes_id")
        batch_op.drop_index(
            "uq_hospital_bills_hospital_reference",
            sqlite_where=sa.text("supersedes_id IS NULL"),
            postgresql_where=sa.text("supersedes_id IS NULL"),
        )
