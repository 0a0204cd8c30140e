"""The patient's portal and the rest of mail: documents shared with the patient or asked of them, the portal's secure
thread, discarded mail with its reason, documents that came with a mail (no uploader), and each staff member's
language.

Revision ID: e69e6823560a
Revises: 3e8a5d2b7c41
Create Date: 2026-12-06 15:47:30.767513

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e69e6823560a"
down_revision = "3e8a5d2b7c41"
branch_labels = None
depends_on = None

TYPES_BEFORE = "document_type IN ('medical_record', 'prescription', 'clearance', 'passport_visa', 'received', 'other')"
TYPES_AFTER = (
    "document_type IN ('medical_record', 'prescription', 'clearance', 'passport_visa', 'received', 'letter', 'other')"
)
CHANNELS = "channel IN ('email', 'portal')"


def upgrade():
    op.create_table(
        "document_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("fulfilled_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_document_requests_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_document_requests_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_requests")),
    )
    with op.batch_alter_table("document_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_requests_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("shared_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch_op.alter_column("uploaded_by_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_case_documents_shared_by_id_users"), "users", ["shared_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_case_documents_request_id_document_requests"), "document_requests", ["request_id"], ["id"]
        )
        batch_op.drop_constraint(op.f("ck_case_documents_document_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_case_documents_document_type"), sa.text(TYPES_AFTER))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=6), server_default="email", nullable=False))
        batch_op.add_column(sa.Column("discarded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("discarded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("discard_reason", sa.String(length=500), server_default="", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_discarded_by_id_users"), "users", ["discarded_by_id"], ["id"]
        )
        batch_op.create_check_constraint(op.f("ck_messages_channel"), sa.text(CHANNELS))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=2), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_messages_channel"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_messages_discarded_by_id_users"), type_="foreignkey")
        batch_op.drop_column("discard_reason")
        batch_op.drop_column("discarded_by_id")
        batch_op.drop_column("discarded_at")
        batch_op.drop_column("channel")

    # Documents that came with a mail have no uploader; they keep the first administrator's name on the way back.
    op.execute(
        "UPDATE case_documents SET uploaded_by_id = (SELECT MIN(id) FROM users WHERE role = 'admin') "
        "WHERE uploaded_by_id IS NULL"
    )
    op.execute("UPDATE case_documents SET document_type = 'other' WHERE document_type = 'letter'")
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_case_documents_document_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_case_documents_document_type"), sa.text(TYPES_BEFORE))
        batch_op.drop_constraint(batch_op.f("fk_case_documents_request_id_document_requests"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_case_documents_shared_by_id_users"), type_="foreignkey")
        batch_op.alter_column("uploaded_by_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("request_id")
        batch_op.drop_column("shared_by_id")
        batch_op.drop_column("shared_at")

    with op.batch_alter_table("document_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_requests_case_id"))

    op.drop_table("document_requests")
