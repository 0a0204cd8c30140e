"""Hospital bills with their audited lines; the tariff codes of each programme.

Revision ID: 83e8ec0e9e15
Revises: 3bacb1b03514
Create Date: 2026-11-25 09:23:14.283412

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "83e8ec0e9e15"
down_revision = "3bacb1b03514"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hospital_bills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tariff_import_id", sa.Integer(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("source_filename", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("override_note", sa.String(length=2000), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "status IN ('received', 'under_review', 'approved', 'disputed', 'paid')",
            name=op.f("ck_hospital_bills_status"),
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_hospital_bills_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_hospital_bills_created_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_hospital_bills_decided_by_id_users")),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_hospital_bills_hospital_id_hospitals")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["hospital_bills.id"], name=op.f("fk_hospital_bills_supersedes_id_hospital_bills")
        ),
        sa.ForeignKeyConstraint(
            ["tariff_import_id"], ["tariff_imports.id"], name=op.f("fk_hospital_bills_tariff_import_id_tariff_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_bills")),
    )
    with op.batch_alter_table("hospital_bills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hospital_bills_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_hospital_bills_hospital_received_on", ["hospital_id", "received_on"], unique=False)

    op.create_table(
        "bill_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("raw_date", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("raw_quantity", sa.String(length=40), nullable=False),
        sa.Column("raw_unit_price", sa.String(length=40), nullable=False),
        sa.Column("raw_currency", sa.String(length=10), nullable=False),
        sa.Column("service_on", sa.Date(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("unit_price", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("charged", sa.BigInteger(), nullable=True),
        sa.Column("expected", sa.BigInteger(), nullable=True),
        sa.Column("tariff_item_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decision_reason", sa.String(length=1000), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('accepted', 'disputed')", name=op.f("ck_bill_lines_decision")
        ),
        sa.CheckConstraint(
            "status IN ('invalid', 'duplicate', 'unknown_code', 'no_valid_tariff', 'currency_mismatch', 'outside_stay', 'not_in_programme', 'overcharged', 'below_tariff', 'ok')",
            name=op.f("ck_bill_lines_status"),
        ),
        sa.ForeignKeyConstraint(
            ["bill_id"], ["hospital_bills.id"], name=op.f("fk_bill_lines_bill_id_hospital_bills"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_bill_lines_decided_by_id_users")),
        sa.ForeignKeyConstraint(
            ["tariff_item_id"], ["tariff_items.id"], name=op.f("fk_bill_lines_tariff_item_id_tariff_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_lines")),
    )
    with op.batch_alter_table("bill_lines", schema=None) as batch_op:
        batch_op.create_index("ix_bill_lines_bill_position", ["bill_id", "position"], unique=True)

    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tariff_codes", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_column("tariff_codes")

    with op.batch_alter_table("bill_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_bill_lines_bill_position")

    op.drop_table("bill_lines")
    with op.batch_alter_table("hospital_bills", schema=None) as batch_op:
        batch_op.drop_index("ix_hospital_bills_hospital_received_on")
        batch_op.drop_index(batch_op.f("ix_hospital_bills_case_id"))

    op.drop_table("hospital_bills")
