"""The last line of defence: whatever code path tries it, an issued invoice's content is never written again.

Operations refuse changes to issued invoices with a message and keep the attempt in the audit log; this listener
catches any change that gets past them (a script, a future feature, a bug) at flush time and refuses it the same way.
After issue only the status (paid, partially paid, ...) and the row's version move, and payments are appended.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from backoffice.invoicing.invoices import InvoiceImmutable, shown_label
from backoffice.invoicing.models import AccountCredit, Invoice, InvoiceDeduction, InvoiceLine, InvoicePayment
from backoffice.languages import N_

MUTABLE_AFTER_ISSUE = frozenset({"status", "version", "payments"})


def _issued_before(invoice: Invoice) -> bool:
    """Whether the invoice was issued before this flush (issuing itself changes a draft)."""
    history = inspect(invoice).attrs.status.history
    before = history.deleted[0] if history.deleted else invoice.status
    return before is not None and before != "draft"


def _refuse(invoice: Invoice, what: str) -> None:
    raise InvoiceImmutable(
        _(
            "%(invoice)s is issued and can never be changed (%(what)s). To correct it, issue a credit note.",
            invoice=shown_label(invoice),
            what=what,
        )
    )


@event.listens_for(Session, "before_flush")
def _guard_issued_invoices(session: Session, flush_context, instances) -> None:
    with session.no_autoflush:
        for obj in session.deleted:
            if isinstance(obj, Invoice) and _issued_before(obj):
                _refuse(obj, _("deletion"))
        for obj in session.dirty:
            if isinstance(obj, Invoice) and _issued_before(obj):
                state = inspect(obj)
                changed = [
                    attr.key
                    for attr in state.attrs
                    if attr.key not in MUTABLE_AFTER_ISSUE
                    and attr.key != "credited_invoice"
                    and attr.history.has_changes()
                ]
                if obj.status == "draft":
                    changed.append("status back to draft")
                if changed:
                    _refuse(obj, ", ".join(sorted(changed)))


def _guard_rows_of_issued(what: str):
    """Rows of an invoice (lines, deductions, payments) are checked against the invoice as stored, at the moment
    they are written: whether they were attached by id or through a relationship, to the old and the new invoice."""

    def guard(mapper, connection, target) -> None:
        history = inspect(target).attrs.invoice_id.history
        ids = {value for value in (*history.deleted, target.invoice_id) if value is not None}
        if not ids:
            return
        issued = connection.execute(
            select(Invoice.number).where(Invoice.id.in_(ids), Invoice.status != "draft").limit(1)
        ).scalar()
        if issued is not None:
            raise InvoiceImmutable(
                _(
                    "%(invoice)s is issued and can never be changed (%(what)s). To correct it, issue a credit note.",
                    invoice=issued,
                    what=_(what),
                )
            )

    return guard


for _model, _what, _events in (
    (InvoiceLine, N_("its lines"), ("before_insert", "before_update", "before_delete")),
    (InvoiceDeduction, N_("its deductions"), ("before_insert", "before_update", "before_delete")),
    (InvoicePayment, N_("its payments: they are appended, never rewritten"), ("before_update", "before_delete")),
):
    for _name in _events:
        event.listen(_model, _name, _guard_rows_of_issued(_what))


def _refuse_rewriting_credit(mapper, connection, target) -> None:
    raise InvoiceImmutable(_("A case's credit is an account statement: its steps are appended, never rewritten."))


for _name in ("before_update", "before_delete"):
    event.listen(AccountCredit, _name, _refuse_rewriting_credit)
