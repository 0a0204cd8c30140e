"""One hospital appointment in play per case, and one working calendar feed per coordinator.

Revision ID: adb5cce093a4
Revises: 73ff744b486c
Create Date: 2026-11-25 10:06:01.506975

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "adb5cce093a4"
down_revision = "73ff744b486c"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            "uq_calendar_feeds_user_working",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    with op.batch_alter_table("hospital_appointments", schema=None) as batch_op:
        batch_op.create_index(
            "uq_hospital_appointments_case_in_play",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )


def downgrade():
    with op.batch_alter_table("hospital_appointments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_hospital_appointments_case_in_play",
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )

    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_calendar_feeds_user_working",
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
