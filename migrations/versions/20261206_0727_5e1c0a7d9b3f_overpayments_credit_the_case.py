"""Overpayments: a payment keeps what the bank shows, the part beyond what was open goes to the case's credit
(`invoice_payments.to_credit`, the `account_credits` ledger), and a payment may come from that credit.

Revision ID: 5e1c0a7d9b3f
Revises: 5d1c9e7a3b24
Create Date: 2026-12-06 07:27:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5e1c0a7d9b3f"
down_revision = "5d1c9e7a3b24"
branch_labels = None
depends_on = None

METHODS_BEFORE = "method IN ('bank_transfer', 'card', 'cash', 'other')"
METHODS_AFTER = "method IN ('bank_transfer', 'card', 'cash', 'other', 'account_credit')"


def upgrade():
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("to_credit", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.drop_constraint(op.f("ck_invoice_payments_method"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_payments_method"), sa.text(METHODS_AFTER))
        batch_op.create_check_constraint(
            op.f("ck_invoice_payments_to_credit_range"),
            sa.text("to_credit >= 0 AND (to_credit = 0 OR to_credit <= amount)"),
        )

    op.create_table(
        "account_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('overpayment', 'applied', 'refunded')", name=op.f("ck_account_credits_kind")),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_account_credits_amount_not_zero")),
        sa.CheckConstraint("(kind = 'overpayment') = (amount > 0)", name=op.f("ck_account_credits_sign_of_kind")),
        sa.CheckConstraint("kind <> 'refunded' OR method IS NOT NULL", name=op.f("ck_account_credits_refund_method")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_account_credits_case_id_cases")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_account_credits_invoice_id_invoices")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["invoice_payments.id"], name=op.f("fk_account_credits_payment_id_invoice_payments")
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_account_credits_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_credits")),
    )
    with op.batch_alter_table("account_credits", schema=None) as batch_op:
        batch_op.create_index("ix_account_credits_case_currency", ["case_id", "currency"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_credits_invoice_id"), ["invoice_id"], unique=False)


def downgrade():
    with op.batch_alter_table("account_credits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_credits_invoice_id"))
        batch_op.drop_index("ix_account_credits_case_currency")

    op.drop_table("account_credits")

    # Money is never deleted: a payment from the case's credit stays, as "other". Without `to_credit` an overpayment
    # counts in full on its invoice again, which then shows the excess as a refund due: the sums still agree.
    op.execute("UPDATE invoice_payments SET method = 'other' WHERE method = 'account_credit'")
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_payments_to_credit_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_invoice_payments_method"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_payments_method"), sa.text(METHODS_BEFORE))
        batch_op.drop_column("to_credit")
