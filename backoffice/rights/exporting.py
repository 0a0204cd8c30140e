"""Everything held about one patient, as one archive: `data.json` plus the original files (GDPR Art. 15 and 20).

The rows are found by the database's own foreign keys, not by a list kept by hand: the patient's row, every row that
points at it (their cases), every row that points at those (documents, messages, bookings, offers, invoices, bills,
orders, notes, events, ...) and so on, so a table added later is in the export without anyone remembering it. Each
row is given with all its columns (secrets such as password hashes and tokens left out); money and dates as text.
Beside them: the audit entries about their data, the recipients their data went to (hospitals, physicians, hotels,
transfer companies, interpreters, pharmacies, the addresses messages went to), and the stored files (medical records,
offers, invoices, reminders, bills' originals, mail attachments) read back through the storage, hashes checked.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, or_, select

from backoffice.extensions import db
from backoffice.storage import files
from backoffice.storage.backends import MissingFile
from backoffice.trail import AuditEvent

FORMAT_VERSION = 1
# Tables not walked into: people and records of the operator (staff accounts, the trail, bookkeeping of jobs and
# files) or other patients' (a shared hotel's row is a parent, never walked into).
NOT_WALKED = {
    "users",
    "audit_events",
    "stored_files",
    "outbox_entries",
    "data_requests",
    "login_attempts",
    "number_series",
    "sandbox_calls",
    "datev_bookings",
}
SECRET = re.compile(r"password|token|secret", re.IGNORECASE)
MAX_DEPTH = 5
# table -> (key prefix, file column, hash column, name to give it in the archive, or None for the key's own name)
FILES = {
    "case_documents": ("documents/", "stored_name", "sha256", "original_filename"),
    "offers": ("archive/", "pdf_filename", "pdf_sha256", None),
    "invoices": ("archive/", "pdf_filename", "pdf_sha256", None),
    "payment_reminders": ("archive/", "pdf_filename", "pdf_sha256", None),
    "hospital_bills": ("archive/", "original_filename", "original_sha256", None),
    "supplier_invoices": ("archive/", "original_filename", "original_sha256", None),
    "message_attachments": ("", "stored_key", "sha256", "filename"),  # sent files, files waiting for a case
}
# Where a patient's data went: parent tables named by their rows (id -> name and address).
RECIPIENT_TABLES = {"hospitals": "hospital", "physicians": "physician", "interpreters": "interpreter",
                    "pharmacies": "pharmacy"}  # fmt: skip
# Recipients named as text on a booking.
RECIPIENT_TEXT = {("hotel_stays", "hotel_name"): "hotel", ("transfers", "company"): "transfer company"}


@dataclass
class Collected:
    rows: dict[str, dict[Any, dict]] = field(default_factory=lambda: defaultdict(dict))

    def ids(self, table: str) -> set:
        return set(self.rows.get(table, {}))


def collect(patient_id: int) -> Collected:
    """The patient's row and every row that points at it, directly or through rows already found."""
    tables = db.metadata.tables
    found = Collected()
    patients = tables["patients"]
    for row in db.session.execute(select(patients).where(patients.c.id == patient_id)).mappings():
        found.rows["patients"][row["id"]] = dict(row)
    frontier = {"patients"}
    for _depth in range(MAX_DEPTH):
        reached: set[str] = set()
        for table in tables.values():
            if table.name in NOT_WALKED or "id" not in table.c:
                continue
            conditions = [
                key.parent.in_(found.ids(key.column.table.name))
                for key in table.foreign_keys
                if key.column.table.name in frontier and key.column.name == "id" and found.ids(key.column.table.name)
            ]
            if not conditions:
                continue
            for row in db.session.execute(select(table).where(or_(*conditions))).mappings():
                if row["id"] not in found.rows[table.name]:
                    found.rows[table.name][row["id"]] = dict(row)
                    reached.add(table.name)
        if not reached:
            break
        frontier = reached
    return found


def audit_entries(found: Collected, user_id: int | None) -> list[dict]:
    """The trail's entries about the patient's data, and those of their own doing in the portal."""
    objects = {
        "patient": found.ids("patients"),
        "case": found.ids("cases"),
        "invoice": found.ids("invoices"),
        "offer": found.ids("offers"),
        "message": found.ids("messages"),
    }
    conditions = [
        (AuditEvent.object_type == kind) & AuditEvent.object_id.in_([str(i) for i in ids])
        for kind, ids in objects.items()
        if ids
    ]
    if user_id is not None:
        conditions.append(AuditEvent.actor_id == user_id)
    if not conditions:
        return []
    events = db.session.scalars(select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.id))
    return [
        {
            "at": event.occurred_at,
            "action": event.action,
            "by_user": event.actor_id,
            "object": f"{event.object_type}:{event.object_id}",
            "details": event.details,
        }
        for event in events
    ]


def recipients(found: Collected) -> list[dict]:
    """Everyone outside the operator the patient's data went to, once each."""
    tables = db.metadata.tables
    named: dict[str, set] = defaultdict(set)
    for table_name, rows in found.rows.items():
        for key in tables[table_name].foreign_keys:
            target = key.column.table.name
            if target in RECIPIENT_TABLES:
                named[target] |= {row[key.parent.name] for row in rows.values() if row[key.parent.name] is not None}
    listed = []
    for target, ids in sorted(named.items()):
        table: Table = tables[target]
        columns = [table.c.id, table.c.name, *(table.c[c] for c in ("email", "city", "country") if c in table.c)]
        for row in db.session.execute(select(*columns).where(table.c.id.in_(ids)).order_by(table.c.id)).mappings():
            listed.append({"kind": RECIPIENT_TABLES[target], **dict(row)})
    for (table_name, column), kind in RECIPIENT_TEXT.items():
        for name in sorted({row[column] for row in found.rows.get(table_name, {}).values() if row.get(column)}):
            listed.append({"kind": kind, "name": name})
    addresses = set()
    for row in found.rows.get("messages", {}).values():
        if row.get("direction") == "outbound" and row.get("recipients"):
            addresses |= set(_addresses(row["recipients"]))
    listed += [{"kind": "mail address", "name": address} for address in sorted(addresses)]
    return listed


def _addresses(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True)
class ExportArchive:
    data: bytes
    tables: int
    rows: int
    files: int
    missing: int

    @property
    def contents(self) -> str:
        return f"{self.tables} tables, {self.rows} rows, {self.files} files" + (
            f", {self.missing} files missing from the store" if self.missing else ""
        )


def build_archive(patient_id: int, *, made_at: datetime) -> ExportArchive:
    """The zip of one patient's data: data.json (rows, audit entries, recipients, the files' list) and files/."""
    found = collect(patient_id)
    patient = found.rows["patients"].get(patient_id)
    if patient is None:
        raise LookupError(f"patient {patient_id} does not exist")
    user = None
    if patient.get("user_id"):
        users = db.metadata.tables["users"]
        account = db.session.execute(
            select(users.c.id, users.c.email, users.c.name, users.c.language, users.c.created_at, users.c.last_login_at)
            .where(users.c.id == patient["user_id"])
        ).mappings().first()  # fmt: skip
        user = dict(account) if account else None
    buffer = io.BytesIO()
    listed_files, missing = [], 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        tables_out: dict[str, list[dict]] = {}
        for table_name in sorted(found.rows):
            rows = []
            for row_id, row in sorted(found.rows[table_name].items()):
                shown = {}
                for column, value in row.items():
                    if SECRET.search(column):
                        continue
                    if isinstance(value, bytes):
                        path = f"files/{table_name}/{row_id}-{column}"
                        archive.writestr(path, value)
                        listed_files.append({"table": table_name, "id": row_id, "path": path, "size": len(value)})
                        value = {"file": path}
                    shown[column] = value
                rows.append(shown)
            tables_out[table_name] = rows
        for table_name, (prefix, column, digest, name_column) in FILES.items():
            for row_id, row in sorted(found.rows.get(table_name, {}).items()):
                if not row.get(column) or not row.get(digest):
                    continue
                name = (row.get(name_column) if name_column else None) or row[column].rsplit("/", 1)[-1]
                path = f"files/{table_name}/{row_id}-{name}"
                entry = {"table": table_name, "id": row_id, "path": path, "sha256": row[digest]}
                try:
                    content = files.read(prefix + row[column], row[digest])
                except MissingFile:
                    missing += 1
                    listed_files.append({**entry, "missing": True})
                    continue
                archive.writestr(path, content)
                listed_files.append({**entry, "size": len(content)})
        document = {
            "format": f"backoffice patient data export, version {FORMAT_VERSION}",
            "made_at": made_at,
            "patient_id": patient_id,
            "portal_account": user,
            "tables": tables_out,
            "audit_entries": audit_entries(found, patient.get("user_id")),
            "recipients": recipients(found),
            "files": listed_files,
        }
        archive.writestr("data.json", json.dumps(_plain(document), ensure_ascii=False, indent=1, sort_keys=True))
        archive.writestr("README.txt", README)
    row_count = sum(len(rows) for rows in found.rows.values())
    return ExportArchive(buffer.getvalue(), len(found.rows), row_count, len(listed_files) - missing, missing)


README = """Your data, as held by the operator's back office.

data.json   every record about you (by table: your patient record, your cases, messages, documents, bookings,
            offers, invoices, payments, ...), the log entries about your data, and the list of recipients your
            data went to (hospitals, physicians, hotels, interpreters, pharmacies, mail addresses).
files/      the original files: your medical records and other documents, offers, invoices, reminders.
Each file's SHA-256 is listed in data.json under "files".
"""
