"""A final invoice beside the patient's accepted offer: what the offer promised (its accepted total, with the options
chosen), what the invoice charges (its total before deposits are deducted) and the difference. A difference above
OFFER_DIFFERENCE_THRESHOLD percent of the offer's total, either way, needs a reason on the draft before it is issued;
the reason is audit-logged.

The offer is the one accepted when the final draft was made (`Invoice.offer_id`). Compared in the invoice's
currency: an offer in the base currency is converted at the invoice's rate; an offer in any other currency is shown
but not compared. A one-line offer made from a cost estimate typed before offers existed (`from_estimate`: never
itemised, never accepted by the patient) is shown beside the invoice but needs no reason: cases already under way
would otherwise all stop at issuing over a rough figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from backoffice import validators
from backoffice.cases.operations import get_case
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing.conversion import in_invoice_currency
from backoffice.invoicing.drafts import get_draft
from backoffice.invoicing.invoices import InvoiceError, record_invoice_event, shown_label, totals_of
from backoffice.invoicing.models import Invoice
from backoffice.money import round_half_up
from backoffice.offers.models import Offer

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class OfferDifference:
    offer_id: int
    version: int
    offer_currency: str
    accepted_total: Decimal  # in the offer's currency
    promised: Decimal | None  # in the invoice's currency; None: not comparable
    charged: Decimal  # the invoice's total, before deposits
    currency: str  # the invoice's
    threshold: Decimal  # percent of the offer's total
    reason: str
    from_estimate: bool = False  # a typed estimate made into an offer: shown, never asks for a reason

    @property
    def comparable(self) -> bool:
        return self.promised is not None

    @property
    def difference(self) -> Decimal | None:
        return None if self.promised is None else self.charged - self.promised

    @property
    def percent(self) -> Decimal | None:
        """The difference as a percentage of the offer's total, to one decimal."""
        if self.promised is None or not self.promised:
            return None
        return round_half_up((self.charged - self.promised) * HUNDRED / self.promised, 1)

    @property
    def needs_reason(self) -> bool:
        """|difference| above the threshold's share of the offer's total (of an offer the patient accepted)."""
        if self.promised is None or self.from_estimate:
            return False
        return abs(self.charged - self.promised) * HUNDRED > self.promised * self.threshold


def offer_difference(invoice: Invoice) -> OfferDifference | None:
    """The final invoice beside its accepted offer (None for other invoices, or when no offer was accepted)."""
    if invoice.kind != "final" or invoice.offer_id is None:
        return None
    offer = db.session.get(Offer, invoice.offer_id)
    if offer is None or offer.accepted_total is None:
        return None
    try:
        converted, _price, _currency = in_invoice_currency(offer.accepted_total, offer.currency, invoice)
        promised = round_half_up(converted, 2)
    except InvoiceError:
        promised = None
    return OfferDifference(
        offer_id=offer.id,
        version=offer.version,
        offer_currency=offer.currency,
        accepted_total=offer.accepted_total,
        promised=promised,
        charged=totals_of(invoice).total,
        currency=invoice.currency,
        threshold=settings().offer_difference_threshold,
        reason=invoice.offer_difference_reason,
        from_estimate=offer.from_estimate,
    )


def explain_difference(invoice_id: int, reason: str, *, actor_id: int | None, expected_version: int | None) -> Invoice:
    """Record on a final draft why it differs from the accepted offer (audit-logged, shown beside the offer)."""
    invoice = get_draft(invoice_id, actor_id=actor_id, attempted="offer difference", expected_version=expected_version)
    if offer_difference(invoice) is None:
        raise InvoiceError(_("Only a final invoice made after an accepted offer is compared with the offer."))
    text = validators.text(reason, _("reason for the difference"), 2000, required=True, error=InvoiceError)
    invoice.offer_difference_reason = text
    db.session.flush()
    record_invoice_event(
        invoice,
        get_case(invoice.case_id),
        actor_id,
        "offer_difference_explained",
        f"Difference of the final draft from the accepted offer explained: {text[:300]}",
        reason=text,
    )
    return invoice


def check_difference_at_issue(invoice: Invoice) -> None:
    """A final invoice further from the accepted offer than the threshold is issued only with a reason."""
    difference = offer_difference(invoice)
    if difference is None or not difference.needs_reason or invoice.offer_difference_reason.strip():
        return
    raise InvoiceError(
        _(
            "%(invoice)s charges %(charged)s %(currency)s, %(percent)s %% from the accepted offer's %(promised)s "
            "%(currency)s (more than %(threshold)s %%): enter the reason for the difference before issuing.",
            invoice=shown_label(invoice),
            charged=difference.charged,
            promised=difference.promised,
            currency=difference.currency,
            percent=difference.percent,
            threshold=difference.threshold.normalize(),
        )
    )
