"""Documents get a type (existing ones are medical records) and a soft removal; a resolved contraindication
points at the physician's clearance it rests on.

Revision ID: 5d1c9e7a3b24
Revises: ab84b8f57767
Create Date: 2026-12-06 07:27:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5d1c9e7a3b24"
down_revision = "ab84b8f57767"
branch_labels = None
depends_on = None

TYPES = "document_type IN ('medical_record', 'prescription', 'clearance', 'passport_visa', 'other')"


def upgrade():
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("document_type", sa.String(length=20), server_default="medical_record", nullable=False)
        )
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("removed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("removal_reason", sa.String(length=500), server_default="", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_case_documents_removed_by_id_users"), "users", ["removed_by_id"], ["id"]
        )
        batch_op.create_check_constraint(batch_op.f("ck_case_documents_document_type"), TYPES)

    with op.batch_alter_table("screening_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clearance_document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_screening_answers_clearance_document_id_case_documents"),
            "case_documents",
            ["clearance_document_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("screening_answers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_screening_answers_clearance_document_id_case_documents"), type_="foreignkey"
        )
        batch_op.drop_column("clearance_document_id")

    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_case_documents_document_type"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_case_documents_removed_by_id_users"), type_="foreignkey")
        batch_op.drop_column("removal_reason")
        batch_op.drop_column("removed_by_id")
        batch_op.drop_column("removed_at")
        batch_op.drop_column("document_type")
