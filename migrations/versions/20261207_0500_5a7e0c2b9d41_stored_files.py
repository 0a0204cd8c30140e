"""stored files: one record per file the app keeps (key, kind, size, SHA-256, which store holds it, its retention),
filled from every table that names an archived document or a case document

Revision ID: 5a7e0c2b9d41
Revises: 19d5182a7616
Create Date: 2026-12-07 05:00:00

"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "5a7e0c2b9d41"
down_revision = "19d5182a7616"
branch_labels = None
depends_on = None

# The defaults of RETENTION_*_YEARS at the time of this migration (years after the end of the document's year).
YEARS = {
    "invoice": 8,
    "bill_original": 8,
    "supplier_invoice": 8,
    "datev_export": 10,
    "offer": 6,
    "payment_reminder": 6,
    "case_document": 10,
}

# table, key prefix, file column, hash column, size column, kind
SOURCES = (
    ("invoices", "archive/", "pdf_filename", "pdf_sha256", "pdf_size", "invoice"),
    ("offers", "archive/", "pdf_filename", "pdf_sha256", "pdf_size", "offer"),
    ("payment_reminders", "archive/", "pdf_filename", "pdf_sha256", "pdf_size", "payment_reminder"),
    ("hospital_bills", "archive/", "original_filename", "original_sha256", "original_size", "bill_original"),
    ("datev_exports", "archive/", "filename", "sha256", "size", "datev_export"),
    ("supplier_invoices", "archive/", "original_filename", "original_sha256", "original_size", "supplier_invoice"),
    ("case_documents", "documents/", "stored_name", "sha256", "size_bytes", "case_document"),
)


def upgrade():
    stored_files = op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=10), server_default="local", nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("location IN ('local', 's3')", name=op.f("ck_stored_files_location")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_stored_files_size_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("key", name="uq_stored_files_key"),
    )
    with op.batch_alter_table("stored_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_files_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_stored_files_retain_until"), ["retain_until"], unique=False)

    connection = op.get_bind()
    today = date.today()
    seen = set()
    for table, prefix, name, digest, size, kind in SOURCES:
        source = sa.table(table, sa.column(name), sa.column(digest), sa.column(size))
        file_column = source.c[name]
        rows = connection.execute(
            sa.select(file_column, source.c[digest], source.c[size]).where(file_column.is_not(None), file_column != "")
        )
        for filename, sha256, length in rows:
            key = prefix + filename
            if key in seen or sha256 is None:
                continue
            seen.add(key)
            year = int(filename[:4]) if filename[:4].isdigit() else today.year
            connection.execute(
                stored_files.insert().values(
                    key=key,
                    kind=kind,
                    size=length or 0,
                    sha256=sha256,
                    location="local",
                    stored_at=sa.func.now(),
                    retain_until=date(year + YEARS[kind], 12, 31),
                )
            )


def downgrade():
    with op.batch_alter_table("stored_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_files_retain_until"))
        batch_op.drop_index(batch_op.f("ix_stored_files_kind"))
    op.drop_table("stored_files")
