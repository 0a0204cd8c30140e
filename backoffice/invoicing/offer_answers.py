"""Invoicing's answer to `offers.signals.offer_accepted`: the deposit invoice draft from the accepted offer's
payment schedule.

The first instalment of the schedule becomes a draft deposit invoice: its percent of the accepted total (with the
options chosen), in the offer's currency, due on the instalment's date. Finance checks and issues it as any draft.
Skipped, with a note on the case's timeline, when the case is invoiced in another currency than the offer, when a
deposit invoice already stands for the case (a later version accepted: finance compares it with the new schedule), or
when the deposit rules refuse it (the message is the note). The acceptance itself always stands.
"""

from __future__ import annotations

from sqlalchemy import select

from backoffice.cases.operations import get_case, record_case_event
from backoffice.extensions import db
from backoffice.invoicing.deposits import create_deposit_draft
from backoffice.invoicing.invoices import InvoiceError
from backoffice.invoicing.models import Invoice
from backoffice.offers import signals
from backoffice.offers.models import Offer, OfferInstalment


def _skip(case, actor_id: int | None, offer: Offer, why: str) -> None:
    record_case_event(
        case,
        "invoice",
        actor_id,
        note=f"No deposit invoice drafted from offer version {offer.version}: {why}",
        audit={"offer_id": offer.id, "deposit_draft": "skipped"},
    )


def deposit_description(offer: Offer, instalment: OfferInstalment, case_number: str) -> str:
    """The deposit line's words (stored, so in English like every invoice line, whatever the language the schedule's
    payments are named in for the patient): the instalment's share of the offer and the offer's version."""
    return (
        f"Deposit ({instalment.percent.normalize():f} % of the accepted offer {case_number}, version {offer.version})"
    )


@signals.offer_accepted.connect
def deposit_from_schedule(offer: Offer, *, actor_id: int | None = None) -> Invoice | None:
    """A draft deposit invoice for the accepted offer's first instalment (None when skipped, with the case note)."""
    instalment = min(offer.instalments, key=lambda i: i.position, default=None)
    if instalment is None:
        return None
    case = get_case(offer.case_id)
    if case.invoicing_currency != offer.currency:
        _skip(
            case,
            actor_id,
            offer,
            f"the case is invoiced in {case.invoicing_currency}, the offer is in {offer.currency}.",
        )
        return None
    existing = db.session.scalar(
        select(Invoice.id)
        .where(Invoice.case_id == case.id, Invoice.kind == "deposit", Invoice.status != "credited")
        .limit(1)
    )
    if existing is not None:
        _skip(case, actor_id, offer, "the case has a deposit invoice already; compare it with the new schedule.")
        return None
    try:
        with db.session.begin_nested():  # a refused draft leaves nothing half-stored; the acceptance stands
            return create_deposit_draft(
                case.id,
                actor_id=actor_id,
                share_percent=instalment.percent,
                exchange_rate=offer.exchange_rate,
                exchange_rate_on=offer.exchange_rate_on,
                description=deposit_description(offer, instalment, case.number),
                due_on=instalment.due_on,
            )
    except InvoiceError as error:
        _skip(case, actor_id, offer, error.message)
        return None
