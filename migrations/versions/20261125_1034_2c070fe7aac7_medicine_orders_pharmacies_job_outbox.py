"""Medicine orders with their items and steps, pharmacies, the sandbox providers' records, and the job outbox.

Revision ID: 2c070fe7aac7
Revises: 8d20c785b507
Create Date: 2026-11-25 10:34:10.580060

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "2c070fe7aac7"
down_revision = "8d20c785b507"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("dispatches", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("rq_job_id", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'enqueued', 'done', 'failed')", name=op.f("ck_job_outbox_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_job_outbox_key")),
    )
    with op.batch_alter_table("job_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_job_outbox_state_available_at", ["state", "available_at"], unique=False)

    op.create_table(
        "pharmacies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("cold_chain", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pharmacies")),
    )
    op.create_table(
        "sandbox_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_calls")),
        sa.UniqueConstraint("key", name=op.f("uq_sandbox_calls_key")),
    )
    with op.batch_alter_table("sandbox_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sandbox_calls_order_id"), ["order_id"], unique=False)

    op.create_table(
        "medicine_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("pharmacy_id", sa.Integer(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=True),
        sa.Column("delivery_name", sa.String(length=200), nullable=False),
        sa.Column("delivery_address", sa.Text(), nullable=False),
        sa.Column("delivery_country", sa.String(length=2), nullable=False),
        sa.Column("cold_chain", sa.Boolean(), nullable=False),
        sa.Column("customs_notes", sa.Text(), nullable=False),
        sa.Column("sandbox_behaviour", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("purchase_reference", sa.String(length=100), nullable=True),
        sa.Column("parcel_reference", sa.String(length=100), nullable=True),
        sa.Column("carrier", sa.String(length=60), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("cost_amount", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("client_token", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "sandbox_behaviour IN ('normal', 'flaky', 'down', 'refused', 'garbled')",
            name=op.f("ck_medicine_orders_sandbox_behaviour"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'purchased', 'packed', 'shipped', 'delivered', 'failed', 'cancelled')",
            name=op.f("ck_medicine_orders_status"),
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_medicine_orders_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_medicine_orders_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["pharmacy_id"], ["pharmacies.id"], name=op.f("fk_medicine_orders_pharmacy_id_pharmacies")
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"], ["case_documents.id"], name=op.f("fk_medicine_orders_prescription_id_case_documents")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_medicine_orders_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medicine_orders")),
        sa.UniqueConstraint("client_token", name=op.f("uq_medicine_orders_client_token")),
    )
    with op.batch_alter_table("medicine_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_medicine_orders_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_medicine_orders_status", ["status"], unique=False)

    op.create_table(
        "medicine_order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("medicine", sa.String(length=200), nullable=False),
        sa.Column("strength", sa.String(length=60), nullable=False),
        sa.Column("form", sa.String(length=60), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_medicine_order_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["medicine_orders.id"],
            name=op.f("fk_medicine_order_items_order_id_medicine_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medicine_order_items")),
        sa.UniqueConstraint("order_id", "position", name="uq_medicine_order_items_order_position"),
    )
    with op.batch_alter_table("medicine_order_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_medicine_order_items_order_id"), ["order_id"], unique=False)

    op.create_table(
        "medicine_order_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("job_id", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'retrying', 'done', 'failed')", name=op.f("ck_medicine_order_steps_state")
        ),
        sa.CheckConstraint("step IN ('purchase', 'pack', 'ship', 'track')", name=op.f("ck_medicine_order_steps_step")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["medicine_orders.id"],
            name=op.f("fk_medicine_order_steps_order_id_medicine_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medicine_order_steps")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_medicine_order_steps_idempotency_key")),
        sa.UniqueConstraint("order_id", "step", name="uq_medicine_order_steps_order_step"),
    )
    with op.batch_alter_table("medicine_order_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_medicine_order_steps_order_id"), ["order_id"], unique=False)


def downgrade():
    with op.batch_alter_table("medicine_order_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medicine_order_steps_order_id"))

    op.drop_table("medicine_order_steps")
    with op.batch_alter_table("medicine_order_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medicine_order_items_order_id"))

    op.drop_table("medicine_order_items")
    with op.batch_alter_table("medicine_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_medicine_orders_status")
        batch_op.drop_index(batch_op.f("ix_medicine_orders_case_id"))

    op.drop_table("medicine_orders")
    with op.batch_alter_table("sandbox_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_calls_order_id"))

    op.drop_table("sandbox_calls")
    op.drop_table("pharmacies")
    with op.batch_alter_table("job_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_job_outbox_state_available_at")

    op.drop_table("job_outbox")
