"""Exporting a period for the tax adviser: a DATEV booking batch of what no earlier export carried, recorded.

Each export archives its file once (with its SHA-256) and records every booking it carried (`datev_bookings`,
unique by source): a second export of the same period carries only what is new since, says how many bookings of the
period earlier exports carried, and names those exports. Exports run one at a time: each takes the DATEV row of the
number series first (PostgreSQL holds its row lock, SQLite its write lock, until the export commits), so a second
export at the same moment waits, then sees the first one's bookings; the unique index refuses anything booked twice
should a session get past that.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from backoffice.accounting import bookings as period_bookings
from backoffice.accounting.charts import FIRST_DEBTOR_ACCOUNT, LAST_DEBTOR_ACCOUNT, Chart, current_chart
from backoffice.accounting.extf import Header, Row, batch_file
from backoffice.accounting.models import SOURCE_TYPES, DatevBooking, DatevExport
from backoffice.auth.models import User
from backoffice.config import settings
from backoffice.dbtypes import operator_today
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.numbering import reserve_numbers
from backoffice.patients.models import Patient
from backoffice.storage import archive
from backoffice.trail import record_event

SERIES = "DATEV"  # the number series row every export locks, and the export's sequence number
MAX_DAYS = 366


class DatevExportError(DomainError):
    status_code = 422


class PeriodError(DatevExportError):
    status_code = 400


class ExportedAtOnce(DatevExportError):
    status_code = 409


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.start:%d.%m.%Y} - {self.end:%d.%m.%Y}"


def month_of(day: date) -> Period:
    return Period(day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))


def default_period() -> Period:
    """The month before this one: what the tax adviser asks for at the start of a month."""
    return month_of(operator_today().replace(day=1) - timedelta(days=1))


NOT_A_DATE = {
    "start": N_("The period's first day is not a date like 2026-11-01."),
    "end": N_("The period's last day is not a date like 2026-11-30."),
}


def _day(text: str | None, which: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise PeriodError(_(NOT_A_DATE[which])) from None


def parse_period(start: str | None, end: str | None) -> Period:
    """The period typed (ISO dates): refused when malformed, backwards or longer than a year (DATEV takes a batch
    within one fiscal year)."""
    if not (start or "").strip() and not (end or "").strip():
        return default_period()
    first, last = _day(start, "start"), _day(end, "end")
    if last < first:
        raise PeriodError(_("The period ends before it starts."))
    if (last - first).days >= MAX_DAYS or first.year != last.year:
        raise PeriodError(_("Export at most one calendar year at a time (DATEV takes a batch per fiscal year)."))
    return Period(first, last)


@dataclass(frozen=True, slots=True)
class Preview:
    period: Period
    new_invoices: int
    new_payments: int
    earlier_count: int
    earlier_exports: list[DatevExport]

    @property
    def new_count(self) -> int:
        return self.new_invoices + self.new_payments


def _carried(keys: set[tuple[str, int]]) -> set[tuple[str, int]]:
    carried = set()
    for source_type in SOURCE_TYPES:
        ids = [source_id for kind, source_id in keys if kind == source_type]
        for chunk in range(0, len(ids), 500):
            carried |= {
                (source_type, source_id)
                for source_id in db.session.scalars(
                    select(DatevBooking.source_id).where(
                        DatevBooking.source_type == source_type, DatevBooking.source_id.in_(ids[chunk : chunk + 500])
                    )
                )
            }
    return carried


def overlapping_exports(period: Period) -> list[DatevExport]:
    return list(
        db.session.scalars(
            select(DatevExport)
            .where(DatevExport.period_from <= period.end, DatevExport.period_to >= period.start)
            .order_by(DatevExport.created_at, DatevExport.id)
        )
    )


def preview(period: Period) -> Preview:
    """What exporting the period now would carry, and what earlier exports carried of it."""
    keys = period_bookings.source_keys_of(period.start, period.end)
    new = keys - _carried(keys)
    return Preview(
        period=period,
        new_invoices=sum(1 for kind, _id in new if kind == "invoice"),
        new_payments=sum(1 for kind, _id in new if kind in ("payment", "refund")),  # money in, and paid back
        earlier_count=len(keys) - len(new),
        earlier_exports=overlapping_exports(period),
    )


def assign_debtor_accounts(patients: list[Patient]) -> None:
    """Each patient booked for the first time gets the next free debtor account (10000 upward), kept for good."""
    missing = sorted({p.id: p for p in patients if p.debtor_account is None}.values(), key=lambda p: p.id)
    if not missing:
        return
    highest = db.session.scalar(select(func.max(Patient.debtor_account)))
    following = max(highest or 0, FIRST_DEBTOR_ACCOUNT - 1) + 1
    if following + len(missing) - 1 > LAST_DEBTOR_ACCOUNT:
        raise DatevExportError(_("The debtor accounts (10000 to 69999) are used up; ask the tax adviser."))
    for offset, patient in enumerate(missing):
        patient.debtor_account = following + offset
    db.session.flush()


def _rows(carried: list[period_bookings.Booking], currency: str) -> list[Row]:
    rows = []
    for booking in carried:
        debtor = booking.patient.debtor_account
        for part in booking.parts:
            account, contra = (debtor, part.other_account) if part.debtor_first else (part.other_account, debtor)
            side = part.debtor_side if part.debtor_first else {"S": "H", "H": "S"}[part.debtor_side]
            rows.append(
                Row(
                    part.amount,
                    side,
                    account,
                    contra,
                    booking.document_date,
                    booking.document_number,
                    part.text,
                    currency,
                )
            )
    return rows


def _header(period: Period, chart: Chart, exported_by: str, sequence: int) -> Header:
    zone = ZoneInfo(settings().operator_timezone)
    return Header(
        created_at=datetime.now(zone).replace(tzinfo=None),
        consultant_number=settings().datev_consultant_number,
        client_number=settings().datev_client_number,
        fiscal_year_start=date(period.start.year, 1, 1),
        period_from=period.start,
        period_to=period.end,
        label=f"Buchungsstapel {sequence} {period.start:%m/%Y}",
        chart_code=chart.code,
        currency=settings().invoice_base_currency,
        exported_by=exported_by,
    )


def export_period(period: Period, *, actor_id: int | None, exported_by: str = "") -> DatevExport:
    """Export the period's bookings no earlier export carried as one DATEV batch, archived and recorded; refused
    when there is nothing new (the earlier exports carry it all). Audit-logged."""
    sequence = reserve_numbers(SERIES, 0, 1)  # first: holds every other export until this one ends
    chart = current_chart()
    everything = period_bookings.bookings_of(period.start, period.end, chart)
    carried_before = _carried({booking.key for booking in everything})
    new = [booking for booking in everything if booking.key not in carried_before]
    if not new:
        raise DatevExportError(
            _(
                "Nothing new to export for %(period)s: earlier exports carried all %(count)s bookings of it.",
                period=period.label,
                count=len(everything),
            )
        )
    assign_debtor_accounts([booking.patient for booking in new])
    data = batch_file(_header(period, chart, exported_by, sequence), _rows(new, settings().invoice_base_currency))
    name = f"EXTF_Buchungsstapel_{period.start:%Y%m%d}_{period.end:%Y%m%d}_{sequence:05d}"
    stored = archive.store_file(name, period.start.year, data, suffix="csv", kind="datev_export")
    export = DatevExport(
        period_from=period.start,
        period_to=period.end,
        chart=chart.name,
        booking_count=len(new),
        earlier_count=len(carried_before),
        filename=stored.filename,
        sha256=stored.sha256,
        size=stored.size,
        created_by_id=actor_id,
    )
    export.bookings = [
        DatevBooking(
            source_type=booking.source_type,
            source_id=booking.source_id,
            document_number=booking.document_number[:36],
            document_date=booking.document_date,
        )
        for booking in new
    ]
    db.session.add(export)
    try:
        db.session.flush()
    except IntegrityError:
        raise ExportedAtOnce(
            _("Another export booked some of these at the same moment; nothing was stored. Export again.")
        ) from None
    record_event(
        "datev_exported",
        actor_id=actor_id,
        object_type="datev_export",
        object_id=export.id,
        details={
            "period": [period.start.isoformat(), period.end.isoformat()],
            "chart": chart.name,
            "bookings": len(new),
            "earlier": len(carried_before),
            "sha256": stored.sha256,
        },
    )
    return export


def list_exports() -> list[DatevExport]:
    return list(db.session.scalars(select(DatevExport).order_by(DatevExport.created_at.desc(), DatevExport.id.desc())))


def exporters(past: list[DatevExport]) -> dict[int, str]:
    """Who made each export, by user id (one query)."""
    ids = {export.created_by_id for export in past if export.created_by_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def get_export(export_id: int) -> DatevExport:
    export = db.session.scalar(
        select(DatevExport).where(DatevExport.id == export_id).options(selectinload(DatevExport.bookings))
    )
    if export is None:
        raise NotFound(_("There is no such export."))
    return export


def download_name(export: DatevExport) -> str:
    return export.filename.rsplit("/", 1)[-1].rsplit("-", 1)[0] + ".csv"


def read_export(export_id: int, *, actor_id: int) -> tuple[DatevExport, bytes]:
    """The archived file of an export, byte for byte as given out (checked against its SHA-256). Audit-logged."""
    export = get_export(export_id)
    data = archive.read_recorded(
        export.filename,
        export.sha256,
        action="datev_export_downloaded",
        actor_id=actor_id,
        object_type="datev_export",
        object_id=export.id,
        details={"period": [export.period_from.isoformat(), export.period_to.isoformat()]},
    )
    return export, data
