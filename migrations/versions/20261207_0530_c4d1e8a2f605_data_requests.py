"""data requests: a patient's copy of their data, asked for, confirmed by a second person, prepared, downloaded once

Revision ID: c4d1e8a2f605
Revises: 5a7e0c2b9d41
Create Date: 2026-12-07 05:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c4d1e8a2f605"
down_revision = "5a7e0c2b9d41"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("via_portal", sa.Boolean(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("file_key", sa.String(length=300), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("contents", sa.Text(), nullable=False),
        sa.Column("downloaded_by_id", sa.Integer(), nullable=True),
        sa.Column("downloaded_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('export')", name=op.f("ck_data_requests_kind")),
        sa.CheckConstraint(
            "status IN ('requested', 'confirmed', 'ready', 'downloaded', 'failed', 'withdrawn')",
            name=op.f("ck_data_requests_status"),
        ),
        sa.CheckConstraint(
            "confirmed_by_id IS NULL OR confirmed_by_id <> requested_by_id", name=op.f("ck_data_requests_second_person")
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_data_requests_patient_id_patients")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_data_requests_requested_by_id_users")),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["users.id"], name=op.f("fk_data_requests_confirmed_by_id_users")),
        sa.ForeignKeyConstraint(
            ["downloaded_by_id"], ["users.id"], name=op.f("fk_data_requests_downloaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_requests_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_requests_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_requests_status"))
        batch_op.drop_index(batch_op.f("ix_data_requests_patient_id"))
    op.drop_table("data_requests")
