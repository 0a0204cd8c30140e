"""Directory (hospitals, physicians, programmes, paused destinations), patients, cases and intake.

Revision ID: e78750dbd3e6
Revises: db0f5d23a36b
Create Date: 2026-11-25 08:24:07.816213

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e78750dbd3e6"
down_revision = "db0f5d23a36b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hospitals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospitals")),
        sa.UniqueConstraint("code", name=op.f("uq_hospitals_code")),
    )
    with op.batch_alter_table("hospitals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hospitals_country"), ["country"], unique=False)

    op.create_table(
        "number_series",
        sa.Column("series", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_number_series")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("preferred_language", sa.String(length=2), nullable=False),
        sa.Column("languages", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_patients_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("user_id", name=op.f("uq_patients_user_id")),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patients_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_patients_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_patients_name"), ["name"], unique=False)

    op.create_table(
        "paused_destinations",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=False),
        sa.Column("paused_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["paused_by_id"], ["users.id"], name=op.f("fk_paused_destinations_paused_by_id_users")),
        sa.PrimaryKeyConstraint("country", name=op.f("pk_paused_destinations")),
    )
    op.create_table(
        "physicians",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("specialty", sa.String(length=120), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_physicians_hospital_id_hospitals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_physicians")),
    )
    with op.batch_alter_table("physicians", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_physicians_hospital_id"), ["hospital_id"], unique=False)

    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price_from_amount", sa.BigInteger(), nullable=True),
        sa.Column("price_from_currency", sa.String(length=3), nullable=True),
        sa.Column("typical_stay_days", sa.Integer(), nullable=True),
        sa.Column("follow_up_plan", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "price_from_amount IS NULL OR price_from_amount >= 0", name=op.f("ck_programmes_price_not_negative")
        ),
        sa.CheckConstraint(
            "typical_stay_days IS NULL OR typical_stay_days >= 0", name=op.f("ck_programmes_stay_not_negative")
        ),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_programmes_hospital_id_hospitals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("hospital_id", "name", name=op.f("uq_programmes_hospital_id")),
    )
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programmes_hospital_id"), ["hospital_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("requested_treatment", sa.String(length=300), nullable=False),
        sa.Column("destination_country", sa.String(length=2), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("health_data_consent_at", sa.DateTime(), nullable=True),
        sa.Column("hospital_id", sa.Integer(), nullable=True),
        sa.Column("physician_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("cost_estimate_amount", sa.BigInteger(), nullable=True),
        sa.Column("cost_estimate_currency", sa.String(length=3), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("first_response_due_at", sa.DateTime(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("next_action_on", sa.Date(), nullable=True),
        sa.Column("next_action", sa.String(length=200), nullable=False),
        sa.Column("state_before_hold", sa.String(length=20), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('new', 'contacted', 'records_review', 'programme_offered', 'confirmed', 'travel_booked', 'in_treatment', 'discharged', 'aftercare', 'closed', 'on_hold', 'cancelled')",
            name=op.f("ck_cases_state"),
        ),
        sa.CheckConstraint(
            "cost_estimate_amount IS NULL OR cost_estimate_amount >= 0", name=op.f("ck_cases_estimate_not_negative")
        ),
        sa.ForeignKeyConstraint(["coordinator_id"], ["users.id"], name=op.f("fk_cases_coordinator_id_users")),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_cases_hospital_id_hospitals")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_cases_patient_id_patients")),
        sa.ForeignKeyConstraint(["physician_id"], ["physicians.id"], name=op.f("fk_cases_physician_id_physicians")),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_cases_programme_id_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_coordinator_state", ["coordinator_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_first_response_at"), ["first_response_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_hospital_id"), ["hospital_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_next_action_on"), ["next_action_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_requested_at"), ["requested_at"], unique=False)
        batch_op.create_index("ix_cases_state_first_response_due_at", ["state", "first_response_due_at"], unique=False)
        batch_op.create_index("ix_cases_state_requested_at", ["state", "requested_at"], unique=False)

    op.create_table(
        "contraindications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("resolution_hint", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_contraindications_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contraindications")),
        sa.UniqueConstraint("programme_id", "position", name=op.f("uq_contraindications_programme_id")),
    )
    with op.batch_alter_table("contraindications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contraindications_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "programme_phases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("duration", sa.String(length=100), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_phases_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_phases")),
        sa.UniqueConstraint("programme_id", "position", name=op.f("uq_programme_phases_programme_id")),
    )
    with op.batch_alter_table("programme_phases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_phases_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_documents_case_id_cases")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_case_documents_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_documents")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_case_documents_stored_name")),
    )
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_documents_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_case_events_actor_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_case_occurred_at", ["case_id", "occurred_at"], unique=False)

    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("direction", sa.String(length=10), nullable=True),
        sa.Column("counterpart", sa.String(length=10), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "direction IS NULL OR direction IN ('inbound', 'outbound')", name=op.f("ck_case_notes_direction")
        ),
        sa.CheckConstraint("kind IN ('internal', 'message')", name=op.f("ck_case_notes_kind")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_case_notes_author_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_notes_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.create_index("ix_case_notes_case_created_at", ["case_id", "created_at"], unique=False)

    op.create_table(
        "intake_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_intake_attempts_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_attempts")),
    )
    with op.batch_alter_table("intake_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_intake_attempts_remote_addr_attempted_at", ["remote_addr", "attempted_at"], unique=False
        )

    op.create_table(
        "screening_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("contraindication_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("resolution_hint", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.String(length=3), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("answer IS NULL OR answer IN ('yes', 'no')", name=op.f("ck_screening_answers_answer")),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_screening_answers_answered_by_id_users")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_screening_answers_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["contraindication_id"],
            ["contraindications.id"],
            name=op.f("fk_screening_answers_contraindication_id_contraindications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_screening_answers_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_answers")),
        sa.UniqueConstraint("case_id", "position", name=op.f("uq_screening_answers_case_id")),
    )
    with op.batch_alter_table("screening_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_answers_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("screening_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_answers_case_id"))

    op.drop_table("screening_answers")
    with op.batch_alter_table("intake_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_intake_attempts_remote_addr_attempted_at")

    op.drop_table("intake_attempts")
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_case_notes_case_created_at")

    op.drop_table("case_notes")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_case_occurred_at")

    op.drop_table("case_events")
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_documents_case_id"))

    op.drop_table("case_documents")
    with op.batch_alter_table("programme_phases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_phases_programme_id"))

    op.drop_table("programme_phases")
    with op.batch_alter_table("contraindications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contraindications_programme_id"))

    op.drop_table("contraindications")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_state_requested_at")
        batch_op.drop_index("ix_cases_state_first_response_due_at")
        batch_op.drop_index(batch_op.f("ix_cases_requested_at"))
        batch_op.drop_index(batch_op.f("ix_cases_patient_id"))
        batch_op.drop_index(batch_op.f("ix_cases_next_action_on"))
        batch_op.drop_index(batch_op.f("ix_cases_hospital_id"))
        batch_op.drop_index(batch_op.f("ix_cases_first_response_at"))
        batch_op.drop_index("ix_cases_coordinator_state")

    op.drop_table("cases")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_hospital_id"))

    op.drop_table("programmes")
    with op.batch_alter_table("physicians", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_physicians_hospital_id"))

    op.drop_table("physicians")
    op.drop_table("paused_destinations")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_name"))
        batch_op.drop_index(batch_op.f("ix_patients_email"))
        batch_op.drop_index(batch_op.f("ix_patients_country"))

    op.drop_table("patients")
    op.drop_table("number_series")
    with op.batch_alter_table("hospitals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hospitals_country"))

    op.drop_table("hospitals")
