"""Resident tariffs: imports of hospital price lists and their items.

Revision ID: 3bacb1b03514
Revises: b73eceab16dd
Create Date: 2026-11-25 09:10:34.551271

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3bacb1b03514"
down_revision = "b73eceab16dd"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tariff_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_tariff_imports_hospital_id_hospitals")
        ),
        sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"], name=op.f("fk_tariff_imports_imported_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_imports")),
    )
    with op.batch_alter_table("tariff_imports", schema=None) as batch_op:
        batch_op.create_index("ix_tariff_imports_hospital_imported_at", ["hospital_id", "imported_at"], unique=False)

    op.create_table(
        "tariff_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("resident_price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("resident_price >= 0", name=op.f("ck_tariff_items_price_not_negative")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_tariff_items_valid_period")),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_tariff_items_hospital_id_hospitals")),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["tariff_imports.id"],
            name=op.f("fk_tariff_items_import_id_tariff_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_items")),
    )
    with op.batch_alter_table("tariff_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tariff_items_hospital_id"), ["hospital_id"], unique=False)
        batch_op.create_index("ix_tariff_items_import_code", ["import_id", "code", "valid_from"], unique=False)


def downgrade():
    with op.batch_alter_table("tariff_items", schema=None) as batch_op:
        batch_op.drop_index("ix_tariff_items_import_code")
        batch_op.drop_index(batch_op.f("ix_tariff_items_hospital_id"))

    op.drop_table("tariff_items")
    with op.batch_alter_table("tariff_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_tariff_imports_hospital_imported_at")

    op.drop_table("tariff_imports")
