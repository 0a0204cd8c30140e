"""Bill lines may be a hospital's credit (`credit`) or ok within the rounding tolerance (`ok_rounding`).

Revision ID: 5e1b7c3a9d42
Revises: 5e4c1a9b7d20
Create Date: 2026-12-06 07:20:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1b7c3a9d42"
down_revision = "5e4c1a9b7d20"
branch_labels = None
depends_on = None

OLD = (
    "invalid",
    "duplicate",
    "unknown_code",
    "no_valid_tariff",
    "currency_mismatch",
    "outside_stay",
    "not_in_programme",
    "overcharged",
    "below_tariff",
    "ok",
)
NEW = (
    "invalid",
    "duplicate",
    "credit",
    "unknown_code",
    "no_valid_tariff",
    "currency_mismatch",
    "outside_stay",
    "not_in_programme",
    "overcharged",
    "below_tariff",
    "ok_rounding",
    "ok",
)


def _status_check(statuses: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(s) for s in statuses)})"


def upgrade():
    with op.batch_alter_table("bill_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_bill_lines_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_bill_lines_status"), _status_check(NEW))


def downgrade():
    # Lines that only the new statuses describe go back to what the old audit called them.
    op.execute(
        "UPDATE bill_lines SET status = 'invalid', charged = NULL, "
        "reason = 'unit_price is negative (a credit is not priced against the tariff)' WHERE status = 'credit'"
    )
    op.execute(
        "UPDATE bill_lines SET status = CASE WHEN charged > expected THEN 'overcharged' ELSE 'below_tariff' END "
        "WHERE status = 'ok_rounding'"
    )
    with op.batch_alter_table("bill_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_bill_lines_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_bill_lines_status"), _status_check(OLD))
