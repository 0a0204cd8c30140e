"""Erasure: patients' pseudonyms, erasure requests with their steps and certificate, restricted records

Revision ID: e7a2c9d4b618
Revises: d8a3b5c1e927
Create Date: 2026-12-07 07:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e7a2c9d4b618"
down_revision = "d8a3b5c1e927"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('requested', 'confirmed', 'ready', 'downloaded', 'failed', 'withdrawn')"
NEW_STATUSES = "status IN ('requested', 'confirmed', 'ready', 'downloaded', 'erasing', 'erased', 'failed', 'withdrawn')"


def upgrade():
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pseudonym", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_patients_pseudonym"), ["pseudonym"])
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("step", sa.String(length=30), server_default="", nullable=False))
        batch_op.add_column(sa.Column("certificate", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("delete_on", sa.Date(), nullable=True))
        batch_op.drop_constraint(op.f("ck_data_requests_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_data_requests_kind"), "kind IN ('export', 'erasure')")
        batch_op.drop_constraint(op.f("ck_data_requests_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_data_requests_status"), NEW_STATUSES)
    op.create_table(
        "restricted_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("dated", sa.Date(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('invoice', 'credit_note', 'payment', 'payment_reminder', 'offer', 'hospital_bill', "
            "'supplier_invoice', 'letter')",
            name=op.f("ck_restricted_records_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["data_requests.id"], name=op.f("fk_restricted_records_request_id_data_requests")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_restricted_records_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restricted_records")),
        sa.UniqueConstraint("table_name", "row_id", name="uq_restricted_records_one_per_row"),
    )
    with op.batch_alter_table("restricted_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_restricted_records_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_restricted_records_patient_id"), ["patient_id"], unique=False)


def downgrade():
    with op.batch_alter_table("restricted_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restricted_records_patient_id"))
        batch_op.drop_index(batch_op.f("ix_restricted_records_request_id"))
    op.drop_table("restricted_records")
    op.execute("DELETE FROM data_requests WHERE kind = 'erasure'")
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_data_requests_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_data_requests_status"), OLD_STATUSES)
        batch_op.drop_constraint(op.f("ck_data_requests_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_data_requests_kind"), "kind IN ('export')")
        batch_op.drop_column("delete_on")
        batch_op.drop_column("certificate")
        batch_op.drop_column("step")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_patients_pseudonym"), type_="unique")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("pseudonym")
