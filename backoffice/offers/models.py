"""Treatment offers: a case's programme priced at the hospital's resident tariff beside what a foreign patient would
pay, the operator's services, the payment schedule and terms; versioned, frozen when sent, accepted or declined.

One series of versions per case: version 1, 2, ... A draft may change; a sent offer is frozen (its PDF archived, the
SHA-256 kept) and a change makes the next version, which supersedes it once sent. Amounts of items are in the offer's
currency (the case's invoicing currency), converted from the tariff's currency with the rate fixed on the offer.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.auth.models import User
from backoffice.cases.models import Case
from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.money import Amount

PRICE_SCALE = 4  # unit prices, as tariffs carry them
QUANTITY_SCALE = 4
RATE_SCALE = 6  # 1 unit of the base currency = rate units of the offer's currency, as invoices fix it
PERCENT_SCALE = 2

STATUSES = ("draft", "sent", "accepted", "declined", "superseded")
STATUS_LABELS = {
    "draft": N_("Draft"),
    "sent": N_("Sent to the patient"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "superseded": N_("Superseded"),
}
SECTIONS = ("treatment", "service")
# Where a foreign-patient price of an item comes from: the hospital's international price list, or its coefficient.
FOREIGN_SOURCES = ("", "international", "coefficient")
ACCEPTANCE_CHANNELS = ("portal", "recorded", "migrated")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Offer(db.Model):
    """One version of a case's treatment offer."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(
            f"acceptance_channel IS NULL OR {_in('acceptance_channel', ACCEPTANCE_CHANNELS)}", name="channel"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        # Sent, accepted or declined offers are frozen: their PDF is archived (an estimate typed before offers existed
        # has none).
        CheckConstraint(
            "status IN ('draft', 'superseded') OR pdf_sha256 IS NOT NULL OR from_estimate", name="sent_archived"
        ),
        CheckConstraint("(status = 'accepted') = (accepted_at IS NOT NULL)", name="accepted_when"),
        UniqueConstraint("case_id", "version", name="uq_offers_case_version"),
        Index("ix_offers_case_status", "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)  # 1, 2, ... of this case's offer
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    language: Mapped[str] = mapped_column(String(2), default="en")  # the patient's, when it was made
    currency: Mapped[str] = mapped_column(String(3))  # what the patient pays in
    base_currency: Mapped[str] = mapped_column(String(3))  # the tariffs' and the operator's
    exchange_rate: Mapped[Decimal | None] = mapped_column(Amount(scale=RATE_SCALE))
    exchange_rate_on: Mapped[date | None]
    treatment_on: Mapped[date | None]  # the planned treatment date: the tariff valid then prices the programme
    valid_until: Mapped[date | None]
    included: Mapped[str] = mapped_column(Text, default="")
    excluded: Mapped[str] = mapped_column(Text, default="")
    cancellation_terms: Mapped[str] = mapped_column(Text, default="")
    # Totals in the offer's currency, kept by `offers.pricing.total_up` (optional items not included).
    resident_total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))  # the treatment at resident prices
    foreign_total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))  # the same at foreign-patient prices
    saving: Mapped[Decimal | None] = mapped_column(Amount(scale=2))  # None: no saving is claimed
    services_total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))  # net
    vat_total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))  # what the patient pays, VAT included

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pdf_filename: Mapped[str | None] = mapped_column(String(200))  # inside the archive
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None]

    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acceptance_channel: Mapped[str | None] = mapped_column(String(10))
    accepted_name: Mapped[str] = mapped_column(String(200), default="")  # as the patient typed it
    accepted_address: Mapped[str] = mapped_column(String(64), default="")  # the IP address it came from
    accepted_sha256: Mapped[str | None] = mapped_column(String(64))  # the PDF's hash the acceptance refers to
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the patient, or who recorded it
    accepted_total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))  # total with the options chosen
    acceptance_document_id: Mapped[int | None] = mapped_column(ForeignKey("case_documents.id"))
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(String(2000), default="")
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A one-line offer made by the migration from the cost estimate typed on the case before offers existed.
    from_estimate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    case: Mapped[Case] = relationship(lazy="raise")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise")
    items: Mapped[list[OfferItem]] = relationship(
        back_populates="offer", order_by="OfferItem.position", lazy="raise", cascade="all, delete-orphan"
    )
    instalments: Mapped[list[OfferInstalment]] = relationship(
        back_populates="offer", order_by="OfferInstalment.position", lazy="raise", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": row_version}


class OfferItem(db.Model):
    """One line of an offer: a tariff code of the programme (treatment) or one of the operator's services."""

    __tablename__ = "offer_items"
    __table_args__ = (
        CheckConstraint(_in("section", SECTIONS), name="section"),
        CheckConstraint(_in("foreign_source", FOREIGN_SOURCES), name="foreign_source"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price IS NULL OR unit_price >= 0", name="price_not_negative"),
        CheckConstraint("(unit_price IS NULL) = (amount IS NULL)", name="priced_whole"),
        Index("ix_offer_items_offer_position", "offer_id", "position", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    position: Mapped[int]
    section: Mapped[str] = mapped_column(String(10), default="treatment")
    code: Mapped[str] = mapped_column(String(40), default="")  # the tariff code; empty for a service
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Amount(scale=QUANTITY_SCALE))
    # The resident unit price in its own currency (the tariff's; a service's in the base currency); None: no tariff
    # is valid on the treatment date, a blocking problem, never priced at 0.
    unit_price: Mapped[Decimal | None] = mapped_column(Amount(scale=PRICE_SCALE))
    source_currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal | None] = mapped_column(Amount(scale=2))  # net, in the offer's currency
    foreign_unit_price: Mapped[Decimal | None] = mapped_column(Amount(scale=PRICE_SCALE))  # source currency
    foreign_amount: Mapped[Decimal | None] = mapped_column(Amount(scale=2))  # offer's currency
    foreign_source: Mapped[str] = mapped_column(String(15), default="")
    vat_category: Mapped[str] = mapped_column(String(20), default="exempt")
    vat_rate: Mapped[Decimal] = mapped_column(Amount(scale=PERCENT_SCALE), default=Decimal(0))
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)  # an optional item the patient chose
    tariff_item_id: Mapped[int | None] = mapped_column(ForeignKey("tariff_items.id"))

    offer: Mapped[Offer] = relationship(back_populates="items")


class OfferInstalment(db.Model):
    """One payment of an offer's schedule: a share of the accepted total, due on a date."""

    __tablename__ = "offer_instalments"
    __table_args__ = (
        CheckConstraint("percent > 0 AND percent <= 10000", name="percent_in_range"),
        Index("ix_offer_instalments_offer_position", "offer_id", "position", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(100))  # "Deposit", "Balance"
    percent: Mapped[Decimal] = mapped_column(Amount(scale=PERCENT_SCALE))  # of the total
    due_on: Mapped[date]

    offer: Mapped[Offer] = relationship(back_populates="instalments")
