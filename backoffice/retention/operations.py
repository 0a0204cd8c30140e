"""The deletion of an erased patient's restricted records once the law no longer keeps them.

An erasure keeps what the tax law keeps (invoices, credit notes, payments, reminders, offers, hospital bills, supplier
invoices, sent letters) as restricted records, and names the day they all go: `DataRequest.delete_on`, the day after
the latest of their own retention ends (they refer to each other, so they go together). From that day the group is
deleted as one: every row named, the rows that cannot exist without them (`retention.rows`), and their stored files
(`storage.files.delete`), in one transaction; each record is marked deleted and the trail says what went.

A group goes entirely or not at all. A file the law still keeps (its own `retain_until` not passed: a period
lengthened after the erasure) or a record of the books that still needs one of its rows refuses the group before
anything is deleted; the refusal is recorded and the group is tried again each day. When the store fails
(`StorageUnavailable`) the database change is rolled back and the next run does it again (a file already gone is no
error then).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.patients.models import Patient
from backoffice.retention import rows
from backoffice.rights.models import DataRequest, RestrictedRecord
from backoffice.storage import files
from backoffice.storage.backends import RetainedFile, StorageUnavailable
from backoffice.storage.models import StoredFile
from backoffice.trail import record_event

DELETED = "retention.restricted_records_deleted"
REFUSED = "retention.deletion_refused"


class DeletionRefused(DomainError):
    """The group cannot go yet: the message says what holds it."""

    status_code = 409


@dataclass(frozen=True)
class GroupOutcome:
    """What became of one erasure's group: `deleted`, `would_delete` (a dry run), `refused` (the message says why;
    nothing deleted) or `unavailable` (the store failed; rolled back, tried again next run)."""

    request_id: int
    patient_id: int
    pseudonym: str
    outcome: str
    records: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    emptied: int = 0
    note: str = ""


@dataclass
class Prepared:
    records: list[RestrictedRecord]
    plan: rows.Plan
    stored: list[StoredFile]
    unrecorded: int


def pending_records():
    """SQL, on data_requests: the erasure still has a restricted record not deleted."""
    return exists().where(RestrictedRecord.request_id == DataRequest.id, RestrictedRecord.deleted_at.is_(None))


def due_groups(today: date, *, limit: int | None = None) -> list[tuple[int, int, str]]:
    """(request id, patient id, pseudonym) of every erasure whose deletion day has come and whose records are not
    all deleted, the longest due first."""
    query = (
        select(DataRequest.id, DataRequest.patient_id, Patient.pseudonym)
        .join(Patient, Patient.id == DataRequest.patient_id)
        .where(
            DataRequest.kind == "erasure",
            DataRequest.status == "erased",
            DataRequest.delete_on <= today,
            pending_records(),
        )
        .order_by(DataRequest.delete_on, DataRequest.id)
        .limit(limit)
    )
    return [
        (request_id, patient_id, pseudonym or "") for request_id, patient_id, pseudonym in db.session.execute(query)
    ]


def prepare(request_id: int, *, today: date) -> Prepared:
    """What the group takes with it; raises `DeletionRefused` or `RetainedFile` when any of it must stay."""
    request = db.session.get(DataRequest, request_id)
    if request is None or request.kind != "erasure" or request.status != "erased":
        raise DeletionRefused(_("Only the restricted records of a finished erasure are deleted."))
    if request.delete_on is None or request.delete_on > today:
        raise DeletionRefused(_("The restricted records of this erasure are kept until their deletion day."))
    records = list(
        db.session.scalars(
            select(RestrictedRecord)
            .where(RestrictedRecord.request_id == request_id, RestrictedRecord.deleted_at.is_(None))
            .order_by(RestrictedRecord.id)
        )
    )
    named: dict[str, set[int]] = defaultdict(set)
    for record in records:
        named[record.table_name].add(record.row_id)
    found = rows.plan(named)
    if found.held_by:
        raise DeletionRefused(
            _(
                "Records outside this erasure still need its rows (%(records)s); nothing was deleted.",
                records=", ".join(sorted(set(found.held_by))[:5]),
            )
        )
    stored, unrecorded = rows.files_of(found)
    for row in stored:  # before anything goes: one file the law keeps holds the whole group
        files.refuse_if_retained(row, today=today)
    return Prepared(records, found, stored, unrecorded)


def delete_group(request_id: int, *, today: date) -> Prepared:
    """Delete one erasure's restricted records, their dependent rows and their stored files; mark each record
    deleted and write the trail. Flushes (the caller commits the group); raises `DeletionRefused`, `RetainedFile`
    (nothing deleted) or `StorageUnavailable` (the caller rolls back)."""
    prepared = prepare(request_id, today=today)
    emptied = rows.delete_rows(prepared.plan)
    for row in prepared.stored:
        files.delete(row.key, today=today)
    now = utcnow()
    for record in prepared.records:
        record.deleted_at = now
    request = db.session.get(DataRequest, request_id)
    record_event(
        DELETED,
        object_type="patient",
        object_id=request.patient_id,
        details={
            "request_id": request_id,
            "records": len(prepared.records),
            "rows": prepared.plan.counts(),
            "files": len(prepared.stored),
            "files_never_recorded": prepared.unrecorded,
            "references_emptied": emptied,
        },
    )
    db.session.flush()
    return prepared


def delete_due(today: date, *, limit: int | None = None, dry_run: bool = False) -> list[GroupOutcome]:
    """Every group due by `today` (at most `limit`), each deleted and committed on its own; a refused group is
    recorded and left for the next run; the store failing stops the run (the rest wait for the next)."""
    outcomes = []
    for request_id, patient_id, pseudonym in due_groups(today, limit=limit):
        ids = {"request_id": request_id, "patient_id": patient_id, "pseudonym": pseudonym}
        try:
            prepared = prepare(request_id, today=today) if dry_run else delete_group(request_id, today=today)
            outcome = GroupOutcome(
                **ids,
                outcome="would_delete" if dry_run else "deleted",
                records=len(prepared.records),
                rows=prepared.plan.counts(),
                files=len(prepared.stored),
            )
            if dry_run:
                db.session.rollback()
            else:
                db.session.commit()
        except (DeletionRefused, RetainedFile) as refusal:
            outcome = _refused(ids, refusal.message, dry_run=dry_run)
        except IntegrityError as error:
            why = _("A row outside this erasure still refers to one of its rows; nothing was deleted.")
            outcome = _refused(ids, f"{why} ({str(error.orig).splitlines()[0][:200]})", dry_run=dry_run)
        except StorageUnavailable as failure:
            db.session.rollback()
            outcomes.append(GroupOutcome(**ids, outcome="unavailable", note=failure.message))
            break
        outcomes.append(outcome)
    return outcomes


def _refused(ids: dict, why: str, *, dry_run: bool) -> GroupOutcome:
    db.session.rollback()
    if not dry_run:
        record_event(
            REFUSED,
            object_type="patient",
            object_id=ids["patient_id"],
            details={"request_id": ids["request_id"], "reason": why},
        )
        db.session.commit()
    return GroupOutcome(**ids, outcome="refused", note=why)


def counts(outcomes: list[GroupOutcome]) -> dict[str, int]:
    """The run in numbers, for the job's result and the command's summary."""
    deleted = [outcome for outcome in outcomes if outcome.outcome == "deleted"]
    return {
        "groups_deleted": len(deleted),
        "records_deleted": sum(outcome.records for outcome in deleted),
        "rows_deleted": sum(sum(outcome.rows.values()) for outcome in deleted),
        "files_deleted": sum(outcome.files for outcome in deleted),
        "groups_refused": sum(outcome.outcome == "refused" for outcome in outcomes),
        "store_unavailable": sum(outcome.outcome == "unavailable" for outcome in outcomes),
    }
