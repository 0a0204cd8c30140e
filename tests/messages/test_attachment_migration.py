"""The migration that moves mail attachments out of the database: the bytes of files sent and of received files
waiting for a case go to the archive folder (INVOICE_ARCHIVE), each recorded in stored_files, and the column that held
them goes; the downgrade puts the bytes back on their rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import flask_migrate
import sqlalchemy as sa
from sqlalchemy import insert, select

from backoffice.extensions import db
from backoffice.messages.attachments import read_kept
from backoffice.messages.models import Message, MessageAttachment
from backoffice.storage import files
from backoffice.storage.models import StoredFile

BEFORE = "5a7e0c2b9d41"
LETTER = b"%PDF-1.7\n% a dispute letter sent in 2025\n%%EOF\n"
RECORD = b"%PDF-1.7\n% a medical record sent to the hospital\n%%EOF\n"
WAITING = b"%PDF-1.7\n% came with a mail nobody assigned yet\n%%EOF\n"
# message_attachments as it was before: the bytes on the row (the model no longer has the column).
OLD_ATTACHMENTS = sa.table(
    "message_attachments",
    sa.column("id", sa.Integer),
    sa.column("message_id", sa.Integer),
    sa.column("filename", sa.String),
    sa.column("content_type", sa.String),
    sa.column("size_bytes", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("content", sa.LargeBinary),
    sa.column("health_data", sa.Boolean),
    sa.column("source", sa.String),
)


def _message(connection, direction: str, number: int) -> int:
    return connection.execute(
        insert(Message.__table__)
        .values(
            direction=direction,
            kind="manual",
            language="en",
            to_addresses="aufnahme@klinik.example",
            subject="Old letter",
            body_text="Attached.",
            message_id=f"<old-{number}@test.example>",
            state="sent" if direction == "outbound" else "received",
            created_at=datetime(2025, 6, 1, 9, 30, tzinfo=UTC),
        )
        .returning(Message.__table__.c.id)
    ).scalar_one()


def _attachment(connection, message_id: int, filename: str, content: bytes, *, health_data: bool = False) -> int:
    return connection.execute(
        insert(OLD_ATTACHMENTS)
        .values(
            message_id=message_id,
            filename=filename,
            content_type="application/pdf",
            size_bytes=len(content),
            sha256=files.sha256_of(content),
            content=content,
            health_data=health_data,
            source="received" if filename == "scan.pdf" else "case_document",
        )
        .returning(OLD_ATTACHMENTS.c.id)
    ).scalar_one()


def _contents(connection) -> dict[int, bytes | None]:
    return dict(connection.execute(select(OLD_ATTACHMENTS.c.id, OLD_ATTACHMENTS.c.content)).all())


def test_sent_files_move_from_the_database_to_the_archive_with_their_record_and_back_on_downgrade(app, local_storage):
    flask_migrate.downgrade(revision=BEFORE)
    try:
        with db.engine.begin() as connection:
            sent = _message(connection, "outbound", 1)
            received = _message(connection, "inbound", 2)
            letter = _attachment(connection, sent, "Widerspruch März.pdf", LETTER)
            record = _attachment(connection, sent, "knee MRI.pdf", RECORD, health_data=True)
            waiting = _attachment(connection, received, "scan.pdf", WAITING)

        flask_migrate.upgrade()

        db.session.expire_all()
        rows = {row.id: row for row in db.session.scalars(select(MessageAttachment))}
        assert re.fullmatch(rf"archive/2025/{sent}-Widerspruch-Marz-[0-9a-f]{{16}}\.pdf", rows[letter].stored_key)
        assert "content" not in {column["name"] for column in sa.inspect(db.engine).get_columns("message_attachments")}
        assert [read_kept(rows[n]) for n in (letter, record, waiting)] == [LETTER, RECORD, WAITING]  # hash checked
        archived = local_storage / "invoices" / rows[letter].stored_key.removeprefix("archive/")
        assert archived.read_bytes() == LETTER
        records = {row.key: row for row in db.session.scalars(select(StoredFile))}
        kinds = [records[rows[n].stored_key].kind for n in (letter, record, waiting)]
        assert kinds == ["letter", "mail_attachment", "mail_attachment"]
        assert {row.location for row in records.values()} == {"local"}
        assert str(records[rows[letter].stored_key].retain_until) == "2031-12-31"
        db.session.rollback()

        flask_migrate.downgrade(revision=BEFORE)

        with db.engine.connect() as connection:
            back = _contents(connection)
            assert (back[letter], back[record], back[waiting]) == (LETTER, RECORD, WAITING)
            assert connection.execute(select(StoredFile.__table__.c.key)).all() == []
    finally:
        flask_migrate.upgrade()
