"""Invoices with their lines, payments and deductions; portal invitations; the invoicing currency of a case.

Revision ID: 8d20c785b507
Revises: adb5cce093a4
Create Date: 2026-11-25 10:25:22.677213

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "8d20c785b507"
down_revision = "adb5cce093a4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "portal_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_portal_invites_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_portal_invites_created_by_id_users")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_portal_invites_patient_id_patients")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_portal_invites_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_invites")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_portal_invites_token_sha256")),
    )
    with op.batch_alter_table("portal_invites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_invites_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_invites_user_id"), ["user_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("exchange_rate", sa.BigInteger(), nullable=True),
        sa.Column("exchange_rate_on", sa.Date(), nullable=True),
        sa.Column("credited_invoice_id", sa.Integer(), nullable=True),
        sa.Column("hospital_bill_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("bill_to_name", sa.String(length=200), nullable=False),
        sa.Column("bill_to_address", sa.Text(), nullable=False),
        sa.Column("service_from", sa.Date(), nullable=True),
        sa.Column("service_to", sa.Date(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("issuer", sa.JSON(), nullable=True),
        sa.Column("net_total", sa.BigInteger(), nullable=True),
        sa.Column("tax_total", sa.BigInteger(), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("deductions_total", sa.BigInteger(), nullable=True),
        sa.Column("pdf_filename", sa.String(length=200), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_size", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'credit_note') = (credited_invoice_id IS NOT NULL)", name=op.f("ck_invoices_credit_note_refers")
        ),
        sa.CheckConstraint("kind IN ('deposit', 'final', 'credit_note')", name=op.f("ck_invoices_kind")),
        sa.CheckConstraint(
            "status = 'draft' OR (number IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name=op.f("ck_invoices_issued_numbered"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'issued', 'partially_paid', 'paid', 'refund_due', 'credited', 'settled')",
            name=op.f("ck_invoices_status"),
        ),
        sa.CheckConstraint("exchange_rate IS NULL OR exchange_rate > 0", name=op.f("ck_invoices_rate_positive")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_invoices_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_invoices_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["credited_invoice_id"], ["invoices.id"], name=op.f("fk_invoices_credited_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["hospital_bill_id"], ["hospital_bills.id"], name=op.f("fk_invoices_hospital_bill_id_hospital_bills")
        ),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], name=op.f("fk_invoices_issued_by_id_users")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_invoices_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_credited_invoice_id"), ["credited_invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index("ix_invoices_status_issue_date", ["status", "issue_date"], unique=False)

    op.create_table(
        "invoice_deductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("deposit_invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_invoice_deductions_amount_positive")),
        sa.ForeignKeyConstraint(
            ["deposit_invoice_id"], ["invoices.id"], name=op.f("fk_invoice_deductions_deposit_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_deductions_invoice_id_invoices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_deductions")),
        sa.UniqueConstraint("invoice_id", "deposit_invoice_id", name="uq_invoice_deductions_invoice_deposit"),
    )
    with op.batch_alter_table("invoice_deductions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_deductions_deposit_invoice_id"), ["deposit_invoice_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invoice_deductions_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("service_on", sa.Date(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("vat_rate", sa.BigInteger(), nullable=False),
        sa.Column("vat_exempt", sa.Boolean(), nullable=False),
        sa.Column("net_amount", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("source_unit_price", sa.BigInteger(), nullable=True),
        sa.Column("source_currency", sa.String(length=3), nullable=True),
        sa.Column("bill_line_id", sa.Integer(), nullable=True),
        sa.Column("credited_line_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('treatment', 'logistics', 'medicine', 'fee', 'deposit', 'other')",
            name=op.f("ck_invoice_lines_kind"),
        ),
        sa.CheckConstraint("NOT vat_exempt OR vat_rate = 0", name=op.f("ck_invoice_lines_exempt_untaxed")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_invoice_lines_quantity_positive")),
        sa.CheckConstraint("vat_rate >= 0 AND vat_rate < 10000", name=op.f("ck_invoice_lines_vat_rate_range")),
        sa.ForeignKeyConstraint(
            ["bill_line_id"], ["bill_lines.id"], name=op.f("fk_invoice_lines_bill_line_id_bill_lines")
        ),
        sa.ForeignKeyConstraint(
            ["credited_line_id"], ["invoice_lines.id"], name=op.f("fk_invoice_lines_credited_line_id_invoice_lines")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_lines_invoice_id_invoices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_invoice_position"),
    )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_lines_credited_line_id"), ["credited_line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_lines_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "invoice_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "method IN ('bank_transfer', 'card', 'cash', 'other')", name=op.f("ck_invoice_payments_method")
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_invoice_payments_amount_not_zero")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_payments_invoice_id_invoices")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_invoice_payments_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_payments")),
    )
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_payments_invoice_id"), ["invoice_id"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoicing_currency", sa.String(length=3), server_default="EUR", nullable=False))


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("invoicing_currency")

    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_payments_invoice_id"))

    op.drop_table("invoice_payments")
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_lines_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_lines_credited_line_id"))

    op.drop_table("invoice_lines")
    with op.batch_alter_table("invoice_deductions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_deductions_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_deductions_deposit_invoice_id"))

    op.drop_table("invoice_deductions")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_status_issue_date")
        batch_op.drop_index(batch_op.f("ix_invoices_patient_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_credited_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_case_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("portal_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_invites_user_id"))
        batch_op.drop_index(batch_op.f("ix_portal_invites_patient_id"))

    op.drop_table("portal_invites")
