"""mail attachments in storage: the bytes of files sent, and of received files waiting for a case, move from
message_attachments.content to the archive (the local folder INVOICE_ARCHIVE, location 'local'), recorded in
stored_files; the row keeps its key, size and SHA-256, and `content` goes

Revision ID: c4e19a7b3f52
Revises: c4d1e8a2f605
Create Date: 2026-12-07 05:30:00

"""

import hashlib
import os
import re
import tempfile
import unicodedata
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "c4e19a7b3f52"
down_revision = "c4d1e8a2f605"
branch_labels = None
depends_on = None

# As backoffice.messages.attachments names and keeps them at the time of this migration.
AREA = "archive/"
YEARS = {"letter": 6, "mail_attachment": 10}  # RETENTION_LETTER_YEARS, RETENTION_MEDICAL_YEARS defaults
LOCKED = {"letter"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")

messages = sa.table(
    "messages", sa.column("id", sa.Integer), sa.column("direction", sa.String), sa.column("created_at", sa.DateTime)
)
attachments = sa.table(
    "message_attachments",
    sa.column("id", sa.Integer),
    sa.column("message_id", sa.Integer),
    sa.column("filename", sa.String),
    sa.column("size_bytes", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("content", sa.LargeBinary),
    sa.column("health_data", sa.Boolean),
    sa.column("stored_key", sa.String),
    sa.column("document_id", sa.Integer),
)
stored_files = sa.table(
    "stored_files",
    sa.column("key", sa.String),
    sa.column("kind", sa.String),
    sa.column("size", sa.BigInteger),
    sa.column("sha256", sa.String),
    sa.column("location", sa.String),
    sa.column("stored_at", sa.DateTime),
    sa.column("retain_until", sa.Date),
)


def archive_root() -> Path:
    """The app's INVOICE_ARCHIVE (its settings: the environment, with the default of backoffice/config.py)."""
    try:
        return Path(current_app.extensions["settings"].invoice_archive).resolve()
    except (RuntimeError, KeyError):
        default = Path(__file__).resolve().parents[2] / "invoices"
        return Path(os.environ.get("INVOICE_ARCHIVE") or default).resolve()


def safe_name(filename: str) -> tuple[str, str]:
    path = PurePosixPath(filename.replace("\\", "/")).name
    stem, dot, extension = path.rpartition(".")
    if not dot or not stem:
        stem, extension = path, ""
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = _UNSAFE.sub("-", plain).strip("-")[:60].strip("-") or "file"
    return plain, _UNSAFE.sub("", extension).lower()[:10] or "bin"


def write(path: Path, data: bytes, *, locked: bool) -> None:
    """Atomically, as the local backend writes (a locked kind read-only)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".storing-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if locked:
            os.chmod(tmp, 0o400)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def upgrade():
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stored_key", sa.String(length=300), nullable=True))

    connection = op.get_bind()
    root = archive_root()
    known = set(connection.scalars(sa.select(stored_files.c.key)))
    rows = connection.execute(
        sa.select(
            attachments.c.id,
            attachments.c.message_id,
            attachments.c.filename,
            attachments.c.content,
            attachments.c.health_data,
            messages.c.direction,
            messages.c.created_at,
        )
        .join(messages, messages.c.id == attachments.c.message_id)
        .where(attachments.c.content.is_not(None))
        .order_by(attachments.c.id)
    ).all()
    for row in rows:
        data = bytes(row.content)
        digest = hashlib.sha256(data).hexdigest()
        # A file received is health data (what a patient or a hospital sends); one sent, a letter unless marked so.
        kind = "mail_attachment" if row.health_data or row.direction == "inbound" else "letter"
        year = (row.created_at or datetime.now()).year
        stem, suffix = safe_name(row.filename)
        name = f"{year}/{row.message_id}-{stem}-{digest[:16]}.{suffix}"
        key = AREA + name
        write(root / name, data, locked=kind in LOCKED)
        if key not in known:
            known.add(key)
            connection.execute(
                stored_files.insert().values(
                    key=key,
                    kind=kind,
                    size=len(data),
                    sha256=digest,
                    location="local",
                    stored_at=sa.func.now(),
                    retain_until=date(year + YEARS[kind], 12, 31),
                )
            )
        connection.execute(
            attachments.update()
            .where(attachments.c.id == row.id)
            .values(stored_key=key, content=None, sha256=digest, size_bytes=len(data))
        )
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.drop_column("content")


def downgrade():
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    root = archive_root()
    # Before: a received file filed as a case document had no bytes on its row.
    rows = connection.execute(
        sa.select(attachments.c.id, attachments.c.stored_key, attachments.c.sha256)
        .join(messages, messages.c.id == attachments.c.message_id)
        .where(
            attachments.c.stored_key.is_not(None),
            sa.or_(messages.c.direction == "outbound", attachments.c.document_id.is_(None)),
        )
    ).all()
    keys = set()
    for row in rows:
        path = root / row.stored_key.removeprefix(AREA)
        if not path.is_file():
            raise RuntimeError(
                f"{row.stored_key} is not in {root}: move the stored files to the local folders before downgrading"
            )
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise RuntimeError(f"{path} is not the file sent (its SHA-256 differs); restore it before downgrading")
        connection.execute(attachments.update().where(attachments.c.id == row.id).values(content=data))
        keys.add(row.stored_key)
    # The files stay in the archive (a locked one is read-only); their records go with the column naming them.
    keys |= set(connection.scalars(sa.select(attachments.c.stored_key).where(attachments.c.stored_key.is_not(None))))
    if keys:
        connection.execute(stored_files.delete().where(stored_files.c.key.in_(sorted(keys))))
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.drop_column("stored_key")
