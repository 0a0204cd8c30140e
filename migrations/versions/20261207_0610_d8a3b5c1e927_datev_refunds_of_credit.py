"""DATEV bookings may come from a case's credit paid back to the patient (source type `refund`)

Revision ID: d8a3b5c1e927
Revises: c4e19a7b3f52
Create Date: 2026-12-07 06:10:00

"""

from alembic import op

revision = "d8a3b5c1e927"
down_revision = "c4e19a7b3f52"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("datev_bookings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_datev_bookings_source_type"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_datev_bookings_source_type"), "source_type IN ('invoice', 'payment', 'refund')"
        )


def downgrade():
    op.execute("DELETE FROM datev_bookings WHERE source_type = 'refund'")
    with op.batch_alter_table("datev_bookings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_datev_bookings_source_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_datev_bookings_source_type"), "source_type IN ('invoice', 'payment')")
