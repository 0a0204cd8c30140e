"""Folded search keys on cases (number, patient's name, email, phone; the treatment) with trigram indexes on
PostgreSQL, and the digits of each patient's phone; existing rows filled.

Revision ID: 5e4c1a9b7d20
Revises: a14e0b7c2d31
Create Date: 2026-12-06 07:20:00

"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e4c1a9b7d20"
down_revision = "a14e0b7c2d31"
branch_labels = None
depends_on = None

CHUNK = 2000

# A frozen copy of backoffice.folding as it was when this migration was written (migrations import no app code).
_PLAIN = str.maketrans(
    {
        "ł": "l",
        "ŀ": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i (Turkish)
        "ŧ": "t",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "ĸ": "k",
        "ŋ": "n",
    }
)


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text or "").casefold())
    kept = []
    for char in decomposed.translate(_PLAIN):
        category = unicodedata.category(char)
        if category == "Nd":
            kept.append(str(unicodedata.decimal(char)))
        elif category[0] in "LN" or category == "Mc":
            kept.append(char)
    return "".join(kept)


def _join(*parts):
    return " ".join(key for key in (_fold(part) for part in parts) if key)


def _digits(phone):
    digits = "".join(char for char in _fold(phone) if char.isdigit())
    return digits[2:] if digits.startswith("00") else digits


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("treatment_key", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_digits", sa.String(length=40), server_default="", nullable=False))

    _backfill()

    if postgresql:
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_search_key",
            ["search_key"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_key": "gin_trgm_ops"},
        )
        batch_op.create_index(
            "ix_cases_treatment_key",
            ["treatment_key"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"treatment_key": "gin_trgm_ops"},
        )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patients_phone_digits"), ["phone_digits"], unique=False)


def _backfill():
    connection = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("id", sa.Integer),
        sa.column("number", sa.String),
        sa.column("patient_id", sa.Integer),
        sa.column("requested_treatment", sa.String),
        sa.column("search_key", sa.Text),
        sa.column("treatment_key", sa.Text),
    )
    patients = sa.table(
        "patients",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("email", sa.String),
        sa.column("phone", sa.String),
        sa.column("phone_digits", sa.String),
    )
    rows = connection.execute(
        sa.select(
            cases.c.id, cases.c.number, cases.c.requested_treatment, patients.c.name, patients.c.email, patients.c.phone
        ).join(patients, patients.c.id == cases.c.patient_id)
    ).all()
    update_case = (
        cases.update()
        .where(cases.c.id == sa.bindparam("case_id"))
        .values(search_key=sa.bindparam("key"), treatment_key=sa.bindparam("treatment"))
    )
    values = [
        {
            "case_id": row.id,
            "key": _join(row.number, row.name, row.email, row.phone),
            "treatment": _fold(row.requested_treatment),
        }
        for row in rows
    ]
    for start in range(0, len(values), CHUNK):
        connection.execute(update_case, values[start : start + CHUNK])

    phones = connection.execute(sa.select(patients.c.id, patients.c.phone).where(patients.c.phone != "")).all()
    update_patient = (
        patients.update().where(patients.c.id == sa.bindparam("patient_id")).values(phone_digits=sa.bindparam("digits"))
    )
    values = [{"patient_id": row.id, "digits": _digits(row.phone)} for row in phones]
    for start in range(0, len(values), CHUNK):
        connection.execute(update_patient, values[start : start + CHUNK])


def downgrade():
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_phone_digits"))
        batch_op.drop_column("phone_digits")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_treatment_key", postgresql_using="gin")
        batch_op.drop_index("ix_cases_search_key", postgresql_using="gin")
        batch_op.drop_column("treatment_key")
        batch_op.drop_column("search_key")
    # The pg_trgm extension stays: dropping it could break other objects of the database that use it.
