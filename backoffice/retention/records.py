"""The page of the erased patients' restricted records: per erasure (its pseudonym, its deletion day, whether it is
deleted, and the last refusal if something holds it), each record with its kind, reference, date, its own last day
and a link to its page while it is there. A fixed number of statements per page, whatever the number of records."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.pagination import Page, paginate
from backoffice.retention.operations import REFUSED
from backoffice.rights.models import RESTRICTED_KINDS, DataRequest, RestrictedRecord
from backoffice.trail import AuditEvent

PAGE_SIZE = 20  # erasures per page


@dataclass(frozen=True)
class Link:
    """A record's own page: its endpoint and the columns of its row that fill the endpoint's arguments.
    `health_data`: the page shows health data (a letter in the case's thread), linked only for those who read it."""

    endpoint: str
    arguments: dict[str, str]
    health_data: bool = False


LINKS = {
    "invoices": Link("invoicing.show_invoice", {"invoice_id": "id"}),
    "invoice_payments": Link("invoicing.show_invoice", {"invoice_id": "invoice_id"}),
    "payment_reminders": Link("invoicing.show_invoice", {"invoice_id": "invoice_id"}),
    "account_credits": Link("invoicing.case_invoices", {"case_id": "case_id"}),
    "offers": Link("offers.show_offer", {"case_id": "case_id", "offer_id": "id"}),
    "hospital_bills": Link("billing.show_bill", {"bill_id": "id"}),
    "supplier_invoices": Link("suppliers.show", {"supplier_invoice_id": "id"}),
    "messages": Link("messages.show_message", {"case_id": "case_id", "message_id": "id"}, health_data=True),
}


@dataclass(frozen=True)
class Row:
    record: RestrictedRecord
    link: Link | None = None
    arguments: dict[str, int] = field(default_factory=dict)


@dataclass
class Group:
    request: DataRequest
    rows: list[Row] = field(default_factory=list)
    refusal: AuditEvent | None = None

    @property
    def deleted(self) -> bool:
        return bool(self.rows) and all(row.record.deleted_at is not None for row in self.rows)

    @property
    def kinds(self) -> list[tuple[str, int]]:
        """(kind label, how many), in the order of `RESTRICTED_KINDS`."""
        counted = Counter(row.record.kind for row in self.rows)
        return [(label, counted[kind]) for kind, label in RESTRICTED_KINDS.items() if counted[kind]]


def restricted_page(page: int) -> tuple[Page[DataRequest], list[Group]]:
    """One page of finished erasures (the next to be deleted first, the deleted last), each with its records."""
    erasures = paginate(
        select(DataRequest).where(DataRequest.kind == "erasure", DataRequest.status == "erased"),
        page=page,
        per_page=PAGE_SIZE,
        order_by=(DataRequest.delete_on, DataRequest.id),
    )
    groups = {request.id: Group(request) for request in erasures.items}
    if not groups:
        return erasures, []
    records = list(
        db.session.scalars(
            select(RestrictedRecord)
            .where(RestrictedRecord.request_id.in_(groups))
            .order_by(RestrictedRecord.request_id, RestrictedRecord.dated, RestrictedRecord.id)
        )
    )
    arguments = _link_arguments([record for record in records if record.deleted_at is None])
    for record in records:
        found = arguments.get((record.table_name, record.row_id))
        link = LINKS.get(record.table_name) if found else None
        groups[record.request_id].rows.append(Row(record, link, found or {}))
    for event in db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == REFUSED, AuditEvent.object_type == "patient")
        .where(AuditEvent.object_id.in_([str(request.patient_id) for request in erasures.items]))
        .order_by(AuditEvent.id)
    ):
        group = groups.get(event.details.get("request_id"))
        if group is not None:
            group.refusal = event  # the last one wins
    return erasures, list(groups.values())


def _link_arguments(records: list[RestrictedRecord]) -> dict[tuple[str, int], dict[str, int]]:
    """(table, row id) -> the arguments of its page, for the rows still there: one statement per table named."""
    by_table: dict[str, set[int]] = defaultdict(set)
    for record in records:
        if record.table_name in LINKS:
            by_table[record.table_name].add(record.row_id)
    found = {}
    for table_name, ids in by_table.items():
        table = db.metadata.tables[table_name]
        link = LINKS[table_name]
        columns = sorted(set(link.arguments.values()) | {"id"})
        for row in db.session.execute(select(*(table.c[c] for c in columns)).where(table.c.id.in_(ids))).mappings():
            if all(row[column] is not None for column in link.arguments.values()):
                found[(table_name, row["id"])] = {name: row[column] for name, column in link.arguments.items()}
    return found
