"""The last line of defence: whatever code path tries it, an issued invoice's content is never written again.

Operations refuse changes to issued invoices with a message and keep the attempt in the audit log; this listener
catches any change that gets past them (a script, a future feature, a bug) at flush time and refuses it the same way.
After issue only the status (paid, partially paid, ...) and the row's version move, and payments are appended.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from backoffice.invoicing.models import Invoice, InvoiceDeduction, InvoiceLine
from backoffice.invoicing.operations import InvoiceImmutable

MUTABLE_AFTER_ISSUE = frozenset({"status", "version", "payments"})


def _issued_before(invoice: Invoice) -> bool:
    """Whether the invoice was issued before this flush (issuing itself changes a draft)."""
    history = inspect(invoice).attrs.status.history
    before = history.deleted[0] if history.deleted else invoice.status
    return before is not None and before != "draft"


def _refuse(invoice: Invoice, what: str) -> None:
    raise InvoiceImmutable(
        f"{invoice.label} is issued and can never be changed ({what}). To correct it, issue a credit note."
    )


@event.listens_for(Session, "before_flush")
def _guard_issued_invoices(session: Session, flush_context, instances) -> None:
    with session.no_autoflush:
        for obj in session.deleted:
            if isinstance(obj, Invoice) and _issued_before(obj):
                _refuse(obj, "deletion")
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
                if changed:
                    _refuse(obj, ", ".join(sorted(changed)))
        for obj in [*session.new, *session.dirty, *session.deleted]:
            if isinstance(obj, InvoiceLine | InvoiceDeduction) and obj.invoice_id is not None:
                parent = session.get(Invoice, obj.invoice_id)
                if parent is not None and _issued_before(parent) and parent not in session.deleted:
                    if obj in session.dirty and not session.is_modified(obj):
                        continue
                    _refuse(parent, "its lines" if isinstance(obj, InvoiceLine) else "its deductions")
