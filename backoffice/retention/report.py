"""The retention report: what the store holds per kind of file and when it falls due, the medical records the
operator's policy would have go, and where the erased patients' restricted records stand. Reads only.

Every legal period ends on 31 December (`storage.retention`), so "past" is a file whose last day was in an earlier
year, "this year" one whose last day is this 31 December, "next year" the next one. Medical records are not the
law's but the operator's (RETENTION_MEDICAL_YEARS, counted from the end of the year the case was closed or
cancelled): they are listed as due by policy, never deleted here; deleting a patient's records is the operator's
decision, through an erasure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from backoffice.cases.models import Case, CaseDocument, CaseEvent
from backoffice.cases.states import FINAL
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.pagination import Page, paginate
from backoffice.retention.operations import pending_records
from backoffice.rights.models import DataRequest, RestrictedRecord
from backoffice.storage import retention
from backoffice.storage.models import StoredFile

MEDICAL_PAGE_SIZE = 50
# The kinds of stored files (`storage.retention.KINDS`) as the report names them.
KIND_LABELS = {
    "invoice": N_("Invoices and credit notes issued"),
    "bill_original": N_("Hospital bills received"),
    "supplier_invoice": N_("Supplier invoices received"),
    "datev_export": N_("Accountant's booking batches"),
    "offer": N_("Offers sent"),
    "payment_reminder": N_("Payment reminders sent"),
    "letter": N_("Files sent by mail (business letters)"),
    "case_document": N_("Medical records (case documents)"),
    "mail_attachment": N_("Health data sent or received by mail"),
    "export": N_("Copies of a patient's data"),
}


@dataclass(frozen=True)
class Settings:
    invoice_years: int
    books_years: int
    letter_years: int
    medical_years: int


def retention_settings() -> Settings:
    current = settings()
    return Settings(
        current.retention_invoice_years,
        current.retention_books_years,
        current.retention_letter_years,
        current.retention_medical_years,
    )


@dataclass(frozen=True)
class KindFigures:
    """One kind of stored file: how many the store holds (and their bytes), how many are past their last day, and
    how many reach it this year and next year."""

    kind: str
    years: int | None
    locked: bool
    files: int = 0
    size: int = 0
    past: int = 0
    this_year: int = 0
    next_year: int = 0


def files_by_kind(today: date) -> list[KindFigures]:
    """Every kind of stored file (`storage.retention.KINDS`, then any other kind found), the files not deleted."""
    end_of_year = date(today.year, 12, 31)
    next_year = (date(today.year + 1, 1, 1), date(today.year + 1, 12, 31))

    def tally(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    found = {
        kind: (files, size, past, this_year, coming)
        for kind, files, size, past, this_year, coming in db.session.execute(
            select(
                StoredFile.kind,
                func.count(),
                func.coalesce(func.sum(StoredFile.size), 0),
                tally(StoredFile.retain_until < today),
                tally(StoredFile.retain_until.between(today, end_of_year)),
                tally(StoredFile.retain_until.between(*next_year)),
            )
            .where(StoredFile.deleted_at.is_(None))
            .group_by(StoredFile.kind)
        )
    }
    kinds = [*retention.KINDS, *sorted(set(found) - set(retention.KINDS))]
    return [
        KindFigures(
            kind,
            retention.years_of(kind) if kind in retention.KINDS else None,
            kind in retention.LOCKED_KINDS,
            *(int(value) for value in found.get(kind, (0, 0, 0, 0, 0))),
        )
        for kind in kinds
    ]


@dataclass(frozen=True)
class MedicalDue:
    """A closed or cancelled case whose medical records the operator's policy no longer keeps."""

    case: Case
    ended_on: date
    documents: int
    due_since: date


def _ended_at():
    """SQL, on cases: when the case was closed or cancelled (its last such transition; its last change without one)."""
    last_transition = (
        select(func.max(CaseEvent.occurred_at))
        .where(CaseEvent.case_id == Case.id, CaseEvent.kind == "transition", CaseEvent.to_state.in_(FINAL))
        .scalar_subquery()
    )
    return func.coalesce(last_transition, Case.updated_at)


def medical_due(today: date, *, page: int = 1) -> Page[MedicalDue]:
    """The cases closed or cancelled before the operator's policy (RETENTION_MEDICAL_YEARS after the end of that
    year) that still hold medical records, longest due first: four statements whatever their number."""
    years = settings().retention_medical_years
    zone = ZoneInfo(settings().operator_timezone)
    # Kept until 31 December of (year ended + years): due when that year is before this one.
    cutoff = datetime.combine(date(today.year - years, 1, 1), time(), zone)
    has_records = select(CaseDocument.id).where(CaseDocument.case_id == Case.id).exists()
    cases = paginate(
        select(Case).where(Case.state.in_(FINAL), _ended_at() < cutoff, has_records),
        page=page,
        per_page=MEDICAL_PAGE_SIZE,
        order_by=(_ended_at(), Case.id),
    )
    ids = [case_row.id for case_row in cases.items]
    ended = dict(db.session.execute(select(Case.id, _ended_at()).where(Case.id.in_(ids))).all()) if ids else {}
    counted = select(CaseDocument.case_id, func.count()).where(CaseDocument.case_id.in_(ids))
    documents = dict(db.session.execute(counted.group_by(CaseDocument.case_id)).all()) if ids else {}
    items = []
    for case_row in cases.items:
        ended_on = _operator_day(ended[case_row.id], zone)
        last_day = retention.end_of_retention("case_document", ended_on)
        items.append(MedicalDue(case_row, ended_on, documents.get(case_row.id, 0), last_day + timedelta(days=1)))
    return Page(items=items, page=cases.page, pages=cases.pages, total=cases.total, per_page=cases.per_page)


def _operator_day(moment: datetime, zone: ZoneInfo) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))).astimezone(zone).date()


@dataclass(frozen=True)
class ErasureFigures:
    """The erased patients' restricted records in numbers: groups waiting for their day, due (and not yet deleted:
    the job takes them tonight, or something holds them), deleted; records still kept; the next deletion day."""

    waiting: int
    due: int
    deleted: int
    records_kept: int
    next_delete_on: date | None


def erasure_figures(today: date) -> ErasureFigures:
    pending = pending_records()
    erasures = and_(DataRequest.kind == "erasure", DataRequest.status == "erased")
    waiting, due, deleted, next_day = db.session.execute(
        select(
            func.coalesce(func.sum(case((and_(pending, DataRequest.delete_on > today), 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(pending, DataRequest.delete_on <= today), 1), else_=0)), 0),
            func.coalesce(func.sum(case((~pending, 1), else_=0)), 0),
            func.min(case((and_(pending, DataRequest.delete_on > today), DataRequest.delete_on))),
        ).where(erasures)
    ).one()
    kept = db.session.scalar(
        select(func.count())
        .select_from(RestrictedRecord)
        .join(DataRequest, DataRequest.id == RestrictedRecord.request_id)
        .where(erasures, RestrictedRecord.deleted_at.is_(None))
    )
    return ErasureFigures(int(waiting), int(due), int(deleted), kept or 0, next_day)
