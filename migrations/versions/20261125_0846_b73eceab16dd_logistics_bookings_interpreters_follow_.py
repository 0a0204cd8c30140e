"""Logistics: hospital appointments, hotel stays, flights, transfers, interpreters, follow-ups, calendar feeds.

Revision ID: b73eceab16dd
Revises: e78750dbd3e6
Create Date: 2026-11-25 08:46:33.479527

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b73eceab16dd"
down_revision = "e78750dbd3e6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "interpreters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("hourly_rate_amount", sa.BigInteger(), nullable=True),
        sa.Column("hourly_rate_currency", sa.String(length=3), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("booking_counter", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreters")),
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_calendar_feeds_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token", name=op.f("uq_calendar_feeds_token")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feeds_user_id"), ["user_id"], unique=False)

    op.create_table(
        "flights",
        sa.Column("passengers", sa.String(length=300), nullable=False),
        sa.Column("airline", sa.String(length=100), nullable=False),
        sa.Column("flight_number", sa.String(length=10), nullable=False),
        sa.Column("from_airport", sa.String(length=3), nullable=False),
        sa.Column("to_airport", sa.String(length=3), nullable=False),
        sa.Column("departs_at", sa.DateTime(), nullable=False),
        sa.Column("departure_tz", sa.String(length=64), nullable=False),
        sa.Column("arrives_at", sa.DateTime(), nullable=False),
        sa.Column("arrival_tz", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supplier_reference", sa.String(length=100), nullable=False),
        sa.Column("cost_amount", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('requested', 'confirmed', 'cancelled')", name=op.f("ck_flights_status")),
        sa.CheckConstraint("arrives_at > departs_at", name=op.f("ck_flights_arrives_after_departure")),
        sa.CheckConstraint("cost_amount IS NULL OR cost_amount >= 0", name=op.f("ck_flights_cost_not_negative")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_flights_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_flights_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flights")),
    )
    with op.batch_alter_table("flights", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flights_case_id"), ["case_id"], unique=False)

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('due', 'done', 'cancelled')", name=op.f("ck_follow_ups_status")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_follow_ups_case_id_cases")),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"], name=op.f("fk_follow_ups_done_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("case_id", "position", name=op.f("uq_follow_ups_case_id")),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_ups_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_follow_ups_status_due_on", ["status", "due_on"], unique=False)

    op.create_table(
        "hospital_appointments",
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("physician_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("admission_on", sa.Date(), nullable=False),
        sa.Column("discharge_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supplier_reference", sa.String(length=100), nullable=False),
        sa.Column("cost_amount", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'confirmed', 'cancelled')", name=op.f("ck_hospital_appointments_status")
        ),
        sa.CheckConstraint(
            "cost_amount IS NULL OR cost_amount >= 0", name=op.f("ck_hospital_appointments_cost_not_negative")
        ),
        sa.CheckConstraint(
            "discharge_on >= admission_on", name=op.f("ck_hospital_appointments_discharge_after_admission")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_hospital_appointments_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_hospital_appointments_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_hospital_appointments_hospital_id_hospitals")
        ),
        sa.ForeignKeyConstraint(
            ["physician_id"], ["physicians.id"], name=op.f("fk_hospital_appointments_physician_id_physicians")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_hospital_appointments_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_appointments")),
    )
    with op.batch_alter_table("hospital_appointments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hospital_appointments_case_id"), ["case_id"], unique=False)

    op.create_table(
        "hotel_stays",
        sa.Column("hotel_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("check_in_on", sa.Date(), nullable=False),
        sa.Column("check_out_on", sa.Date(), nullable=False),
        sa.Column("room_type", sa.String(length=100), nullable=False),
        sa.Column("guests", sa.String(length=300), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supplier_reference", sa.String(length=100), nullable=False),
        sa.Column("cost_amount", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('requested', 'confirmed', 'cancelled')", name=op.f("ck_hotel_stays_status")),
        sa.CheckConstraint("check_out_on > check_in_on", name=op.f("ck_hotel_stays_check_out_after_check_in")),
        sa.CheckConstraint("cost_amount IS NULL OR cost_amount >= 0", name=op.f("ck_hotel_stays_cost_not_negative")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_hotel_stays_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_hotel_stays_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotel_stays")),
    )
    with op.batch_alter_table("hotel_stays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotel_stays_case_id"), ["case_id"], unique=False)

    op.create_table(
        "interpreter_bookings",
        sa.Column("interpreter_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supplier_reference", sa.String(length=100), nullable=False),
        sa.Column("cost_amount", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'confirmed', 'cancelled')", name=op.f("ck_interpreter_bookings_status")
        ),
        sa.CheckConstraint(
            "cost_amount IS NULL OR cost_amount >= 0", name=op.f("ck_interpreter_bookings_cost_not_negative")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_interpreter_bookings_ends_after_start")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_interpreter_bookings_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_interpreter_bookings_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["interpreter_id"], ["interpreters.id"], name=op.f("fk_interpreter_bookings_interpreter_id_interpreters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreter_bookings")),
    )
    with op.batch_alter_table("interpreter_bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interpreter_bookings_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_interpreter_bookings_interpreter_starts_at", ["interpreter_id", "starts_at"], unique=False
        )

    op.create_table(
        "transfers",
        sa.Column("from_kind", sa.String(length=10), nullable=False),
        sa.Column("from_place", sa.String(length=200), nullable=False),
        sa.Column("to_kind", sa.String(length=10), nullable=False),
        sa.Column("to_place", sa.String(length=200), nullable=False),
        sa.Column("pickup_at", sa.DateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("driver_name", sa.String(length=120), nullable=False),
        sa.Column("driver_phone", sa.String(length=40), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("supplier_reference", sa.String(length=100), nullable=False),
        sa.Column("cost_amount", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "from_kind IN ('airport', 'hotel', 'hospital', 'other')", name=op.f("ck_transfers_from_kind")
        ),
        sa.CheckConstraint("status IN ('requested', 'confirmed', 'cancelled')", name=op.f("ck_transfers_status")),
        sa.CheckConstraint("to_kind IN ('airport', 'hotel', 'hospital', 'other')", name=op.f("ck_transfers_to_kind")),
        sa.CheckConstraint("cost_amount IS NULL OR cost_amount >= 0", name=op.f("ck_transfers_cost_not_negative")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_transfers_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_transfers_created_by_id_users")),
        sa.ForeignKeyConstraint(["flight_id"], ["flights.id"], name=op.f("fk_transfers_flight_id_flights")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfers_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfers_flight_id"), ["flight_id"], unique=False)

    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_schedule", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_column("follow_up_schedule")

    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_flight_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_case_id"))

    op.drop_table("transfers")
    with op.batch_alter_table("interpreter_bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_interpreter_bookings_interpreter_starts_at")
        batch_op.drop_index(batch_op.f("ix_interpreter_bookings_case_id"))

    op.drop_table("interpreter_bookings")
    with op.batch_alter_table("hotel_stays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotel_stays_case_id"))

    op.drop_table("hotel_stays")
    with op.batch_alter_table("hospital_appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hospital_appointments_case_id"))

    op.drop_table("hospital_appointments")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_status_due_on")
        batch_op.drop_index(batch_op.f("ix_follow_ups_case_id"))

    op.drop_table("follow_ups")
    with op.batch_alter_table("flights", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flights_case_id"))

    op.drop_table("flights")
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_user_id"))

    op.drop_table("calendar_feeds")
    op.drop_table("interpreters")
