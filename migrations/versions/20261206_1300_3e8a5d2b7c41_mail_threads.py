"""Mail threads: incoming mail, attachments, bounces, automatic-message switches, consent to share records with a
physician, notifications and their digest, a physician's phone, documents received by mail.

Revision ID: 3e8a5d2b7c41
Revises: 9b4e2f6a1c37
Create Date: 2026-12-06 12:59:00.432306

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3e8a5d2b7c41"
down_revision = "9b4e2f6a1c37"
branch_labels = None
depends_on = None

STATES_BEFORE = "state IN ('queued', 'sent', 'failed')"
STATES_AFTER = "state IN ('queued', 'sent', 'failed', 'bounced', 'received')"
DIRECTIONS = "direction IN ('outbound', 'inbound')"
COUNTERPARTS = "counterpart IS NULL OR counterpart IN ('patient', 'hospital', 'physician', 'interpreter', 'hotel', 'staff', 'other')"
MATCHED_BY = "matched_by IS NULL OR matched_by IN ('in_reply_to', 'references', 'token', 'staff')"
TYPES_BEFORE = "document_type IN ('medical_record', 'prescription', 'clearance', 'passport_visa', 'other')"
TYPES_AFTER = "document_type IN ('medical_record', 'prescription', 'clearance', 'passport_visa', 'received', 'other')"


def upgrade():
    op.create_table(
        "automatic_message_switches",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"], name=op.f("fk_automatic_message_switches_changed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_automatic_message_switches")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("digested_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_notifications_case_id_cases")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("user_id", "dedupe_key", name=op.f("uq_notifications_user_id")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_read_at", ["user_id", "read_at"], unique=False)

    op.create_table(
        "message_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("health_data", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("source", sa.String(length=30), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["case_documents.id"], name=op.f("fk_message_attachments_document_id_case_documents")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_attachments_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_attachments")),
    )
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_attachments_message_id"), ["message_id"], unique=False)

    op.create_table(
        "sharing_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("physician_id", sa.Integer(), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("given_as", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("given_as IN ('written', 'verbal', 'portal')", name=op.f("ck_sharing_consents_given_as")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_sharing_consents_case_id_cases")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_sharing_consents_message_id_messages")),
        sa.ForeignKeyConstraint(
            ["physician_id"], ["physicians.id"], name=op.f("fk_sharing_consents_physician_id_physicians")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_sharing_consents_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_consents")),
    )
    with op.batch_alter_table("sharing_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sharing_consents_case_id"), ["case_id"], unique=False)

    op.create_table(
        "undeliverable_addresses",
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_undeliverable_addresses_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_undeliverable_addresses")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direction", sa.String(length=8), server_default="outbound", nullable=False))
        batch_op.add_column(sa.Column("counterpart", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("from_address", sa.String(length=254), server_default="", nullable=False))
        batch_op.add_column(sa.Column("in_reply_to", sa.String(length=250), server_default="", nullable=False))
        batch_op.add_column(sa.Column("thread_references", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("matched_by", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("received_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("bounced_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("assigned_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("read_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_messages_case_created_at", ["case_id", "created_at"], unique=False)
        batch_op.create_index("ix_messages_direction_case_id", ["direction", "case_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_messages_assigned_by_id_users"), "users", ["assigned_by_id"], ["id"])
        batch_op.drop_constraint(op.f("ck_messages_state"), type_="check")
        batch_op.create_check_constraint(op.f("ck_messages_state"), sa.text(STATES_AFTER))
        batch_op.create_check_constraint(op.f("ck_messages_direction"), sa.text(DIRECTIONS))
        batch_op.create_check_constraint(op.f("ck_messages_counterpart"), sa.text(COUNTERPARTS))
        batch_op.create_check_constraint(op.f("ck_messages_matched_by"), sa.text(MATCHED_BY))

    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_case_documents_document_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_case_documents_document_type"), sa.text(TYPES_AFTER))

    with op.batch_alter_table("physicians", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=40), server_default="", nullable=False))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notification_digest", sa.String(length=10), server_default="off", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_case_documents_document_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_case_documents_document_type"), sa.text(TYPES_BEFORE))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("notification_digest")

    with op.batch_alter_table("physicians", schema=None) as batch_op:
        batch_op.drop_column("phone")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_messages_matched_by"), type_="check")
        batch_op.drop_constraint(op.f("ck_messages_counterpart"), type_="check")
        batch_op.drop_constraint(op.f("ck_messages_direction"), type_="check")
        batch_op.drop_constraint(op.f("ck_messages_state"), type_="check")
        batch_op.create_check_constraint(op.f("ck_messages_state"), sa.text(STATES_BEFORE))
        batch_op.drop_constraint(batch_op.f("fk_messages_assigned_by_id_users"), type_="foreignkey")
        batch_op.drop_index("ix_messages_direction_case_id")
        batch_op.drop_index("ix_messages_case_created_at")
        batch_op.drop_column("read_at")
        batch_op.drop_column("assigned_by_id")
        batch_op.drop_column("bounced_at")
        batch_op.drop_column("received_at")
        batch_op.drop_column("matched_by")
        batch_op.drop_column("thread_references")
        batch_op.drop_column("in_reply_to")
        batch_op.drop_column("from_address")
        batch_op.drop_column("counterpart")
        batch_op.drop_column("direction")

    op.drop_table("undeliverable_addresses")
    with op.batch_alter_table("sharing_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_consents_case_id"))

    op.drop_table("sharing_consents")
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_attachments_message_id"))

    op.drop_table("message_attachments")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_read_at")

    op.drop_table("notifications")
    op.drop_table("automatic_message_switches")
