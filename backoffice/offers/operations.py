"""An offer's life: started from the case's programme (or as the next version of the last one), changed while a
draft, sent (frozen: its PDF archived with its SHA-256; the versions before it superseded), then accepted or declined.

Each operation writes the case's timeline and the audit log, and flushes; the caller commits. An offer that is sent
is never changed again: a change is the next version.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from backoffice import validators
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case, lock_case, record_case_event
from backoffice.config import settings
from backoffice.dbtypes import operator_today, utcnow
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.logistics.stay import stay_of
from backoffice.offers import document, pricing, signals
from backoffice.offers.models import Offer, OfferInstalment, OfferItem
from backoffice.offers.pricing import OfferError
from backoffice.patients.restriction import refuse_changes
from backoffice.storage import archive

FROZEN = ("sent", "accepted", "declined", "superseded")


def get_offer(offer_id: int) -> Offer:
    """An offer with its case (patient, hospital, programme), items and schedule loaded; 404 when there is none."""
    offer = db.session.scalar(
        select(Offer)
        .where(Offer.id == offer_id)
        .options(
            joinedload(Offer.case).joinedload(Case.patient),
            joinedload(Offer.case).joinedload(Case.hospital),
            joinedload(Offer.case).joinedload(Case.programme),
            selectinload(Offer.items),
            selectinload(Offer.instalments),
        )
    )
    if offer is None:
        raise NotFound(_("There is no such offer."))
    return offer


def offers_of(case_id: int) -> list[Offer]:
    """Every version of the case's offer, newest first, with items and schedule."""
    return list(
        db.session.scalars(
            select(Offer)
            .where(Offer.case_id == case_id)
            .order_by(Offer.version.desc())
            .options(selectinload(Offer.items), selectinload(Offer.instalments))
        )
    )


def accepted_offer(case_id: int) -> Offer | None:
    """The case's accepted offer that still stands (a later version sent supersedes it), with its items."""
    return db.session.scalar(
        select(Offer)
        .where(Offer.case_id == case_id, Offer.status == "accepted")
        .options(selectinload(Offer.items), selectinload(Offer.instalments))
    )


def is_expired(offer: Offer, today: date | None = None) -> bool:
    return offer.valid_until is not None and offer.valid_until < (today or operator_today())


def label(offer: Offer) -> str:
    return _("Offer %(number)s, version %(version)s", number=offer.case.number, version=offer.version)


def _draft(offer_id: int, expected_version: int | None = None) -> Offer:
    offer = get_offer(offer_id)
    refuse_changes(offer.case.patient)  # an erased patient's offer is kept as it stands, never sent
    if expected_version is not None and offer.row_version != expected_version:
        raise OfferError(_("Someone else changed this offer meanwhile; look at it again and repeat your change."))
    if offer.status != "draft":
        raise OfferError(_("A sent offer is never changed; make the next version instead."))
    return offer


def _default_terms(language: str) -> dict[str, str]:
    with force_locale(language):
        return {
            "included": _(
                "The treatment programme as itemised, the hospital's services at resident prices, checking the "
                "hospital's bills, your personal coordinator, and the services listed."
            ),
            "excluded": _(
                "Treatment not listed here, medicines after discharge unless listed, travel costs of companions, "
                "and visa fees."
            ),
            "cancellation_terms": _(
                "You may cancel free of charge until 14 days before admission; the deposit is refunded less costs "
                "already incurred with the hospital. Later cancellations are charged at what the hospital and "
                "services charge us."
            ),
        }


def _default_schedule(offer: Offer, today: date) -> list[OfferInstalment]:
    deposit = settings().offer_deposit_percent
    deposit_due = min(today + timedelta(days=7), offer.valid_until or today + timedelta(days=7))
    balance_due = max((offer.treatment_on or today) - timedelta(days=14), deposit_due)
    with force_locale(offer.language):
        schedule = [OfferInstalment(position=1, label=_("Deposit"), percent=deposit, due_on=deposit_due)]
        if deposit < 100:
            schedule.append(
                OfferInstalment(position=2, label=_("Balance"), percent=Decimal(100) - deposit, due_on=balance_due)
            )
    return schedule


def _copy(offer: Offer, previous: Offer) -> None:
    for name in ("treatment_on", "included", "excluded", "cancellation_terms", "exchange_rate", "exchange_rate_on"):
        setattr(offer, name, getattr(previous, name))
    offer.items = [OfferItem(**{column: getattr(item, column) for column in _ITEM_COLUMNS}) for item in previous.items]
    offer.instalments = [
        OfferInstalment(position=i.position, label=i.label, percent=i.percent, due_on=i.due_on)
        for i in previous.instalments
    ]


_ITEM_COLUMNS = (
    "position", "section", "code", "description", "quantity", "unit_price", "source_currency", "amount",
    "foreign_unit_price", "foreign_amount", "foreign_source", "vat_category", "vat_rate", "optional", "tariff_item_id",
)  # fmt: skip


def start_offer(
    case_id: int, *, actor_id: int, exchange_rate: Decimal | None = None, exchange_rate_on: date | None = None
) -> Offer:
    """A draft offer for the case: the first one from its programme, or the next version copied from the last one.

    The first version prices the programme's codes at the tariffs valid on the planned admission (the confirmed
    appointment's, else 30 days from today), adds the coordination fee, the default schedule and terms in the
    patient's language. A case invoiced in another currency than the base one needs the exchange rate and its date."""
    lock_case(case_id)
    case = get_case(case_id)
    refuse_changes(case.patient)  # an erased patient gets no new offer
    if case.programme_id is None:
        raise OfferError(_("Choose the hospital programme on the case before making an offer."))
    versions = offers_of(case_id)
    if versions and versions[0].status == "draft":
        raise OfferError(_("Version %(version)s is still a draft; change that one.", version=versions[0].version))
    today = operator_today()
    base = settings().invoice_base_currency
    offer = Offer(
        case_id=case.id,
        version=(versions[0].version + 1) if versions else 1,
        supersedes_id=versions[0].id if versions else None,
        status="draft",
        language=case.patient.preferred_language,
        currency=case.invoicing_currency,
        base_currency=base,
        valid_until=today + timedelta(days=settings().offer_validity_days),
        created_by_id=actor_id,
    )
    offer.case = case
    offer.exchange_rate, offer.exchange_rate_on = _rate(offer, exchange_rate, exchange_rate_on, today)
    if versions:
        _copy(offer, versions[0])
    else:
        stay = stay_of(case)
        offer.treatment_on = stay.admission_on if stay else today + timedelta(days=30)
        treatment = pricing.treatment_items(case, offer)
        offer.items = [*treatment, _coordination_fee(offer, position=len(treatment) + 1)]
        offer.instalments = _default_schedule(offer, today)
        for name, text in _default_terms(offer.language).items():
            setattr(offer, name, text)
    pricing.total_up(offer)
    db.session.add(offer)
    db.session.flush()
    record_case_event(
        case, "offer_started", actor_id, note=f"Offer version {offer.version}", audit={"offer_id": offer.id}
    )
    return offer


def _coordination_fee(offer: Offer, position: int) -> OfferItem:
    with force_locale(offer.language):
        description = _("Personal coordination: request to aftercare")
    item = OfferItem(
        position=position,
        section="service",
        code="",
        description=description,
        quantity=Decimal(1),
        unit_price=settings().coordination_fee,
        source_currency=offer.base_currency,
        vat_category="standard",
        vat_rate=pricing.vat_rate_of("standard"),
    )
    pricing.price_item(item, offer)
    return item


def _rate(offer: Offer, rate, rate_on: date | None, today: date) -> tuple[Decimal | None, date | None]:
    """The offer's exchange rate (1 base = ? offer currency) and its date: none in the base currency, else both."""
    if offer.currency == offer.base_currency:
        return None, None
    if rate in (None, "") or rate_on is None:
        raise OfferError(
            _(
                "This case pays in %(currency)s: enter the exchange rate (1 %(base)s = ? %(currency)s) and its date.",
                currency=offer.currency,
                base=offer.base_currency,
            )
        )
    value = validators.decimal_value(rate, _("exchange rate"), places=6, error=OfferError)
    if value <= 0 or value >= pricing.MAX_AMOUNT:
        raise OfferError(_("The exchange rate must be above 0 and below 100000000."))
    if rate_on > today:
        raise OfferError(_("The exchange rate's date cannot be in the future."))
    return value, rate_on


def change_terms(
    offer_id: int,
    *,
    actor_id: int,
    treatment_on: date | None,
    valid_until: date | None,
    included: str,
    excluded: str,
    cancellation_terms: str,
    exchange_rate=None,
    exchange_rate_on: date | None = None,
    expected_version: int | None = None,
) -> Offer:
    """A draft's dates, terms and exchange rate; a new treatment date prices the programme's codes again."""
    offer = _draft(offer_id, expected_version)
    today = operator_today()
    if treatment_on is None:
        raise OfferError(_("Enter the planned treatment date: the tariff valid then prices the programme."))
    if valid_until is None or valid_until < today:
        raise OfferError(_("The offer must be valid until today or later."))
    if treatment_on < today:
        raise OfferError(_("The planned treatment date cannot be in the past."))
    offer.included = validators.text(included, _("what is included"), 5000, error=OfferError)
    offer.excluded = validators.text(excluded, _("what is not included"), 5000, error=OfferError)
    offer.cancellation_terms = validators.text(cancellation_terms, _("cancellation terms"), 5000, error=OfferError)
    offer.valid_until = valid_until
    offer.exchange_rate, offer.exchange_rate_on = _rate(offer, exchange_rate, exchange_rate_on, today)
    offer.treatment_on = treatment_on
    pricing.reprice_treatment(offer.items, offer.case, offer)
    for item in offer.items:
        pricing.price_item(item, offer)
    pricing.total_up(offer)
    db.session.flush()
    record_case_event(offer.case, "offer_changed", actor_id, audit={"offer_id": offer.id, "what": "terms"})
    return offer


def save_item(
    offer_id: int,
    *,
    actor_id: int,
    item_id: int | None,
    section: str,
    description: str,
    quantity,
    unit_price,
    vat_category: str,
    optional: bool,
    code: str = "",
    expected_version: int | None = None,
) -> OfferItem:
    """Add an item to a draft (item_id None) or change one. A treatment item with a code is priced from the tariff
    (its typed price is ignored); a service or an item without a code takes the typed price, in the base currency."""
    offer = _draft(offer_id, expected_version)
    if section not in ("treatment", "service"):
        raise OfferError(_("Choose treatment or service."))
    if item_id is None:
        item = OfferItem(position=max((i.position for i in offer.items), default=0) + 1)
        offer.items.append(item)
    else:
        item = next((i for i in offer.items if i.id == item_id), None)
        if item is None:
            raise NotFound(_("There is no such item on this offer."))
    item.section = section
    item.code = validators.text(code, _("tariff code"), 40, error=OfferError) if section == "treatment" else ""
    item.description = validators.text(description, _("description"), 300, required=not item.code, error=OfferError)
    item.quantity = _positive(quantity, _("quantity"), places=4)
    item.vat_category = vat_category
    item.vat_rate = pricing.vat_rate_of(vat_category)
    item.optional = bool(optional)
    if item.code:
        item.description = item.description or item.code
        item.source_currency = offer.base_currency
        pricing.reprice_treatment([item], offer.case, offer)
    else:
        item.unit_price = _positive(unit_price, _("price"), places=4, allow_zero=True)
        item.source_currency = offer.base_currency
        item.foreign_unit_price, item.foreign_source, item.tariff_item_id = None, "", None
        pricing.price_item(item, offer)
    pricing.total_up(offer)
    db.session.flush()
    record_case_event(offer.case, "offer_changed", actor_id, audit={"offer_id": offer.id, "item": item.position})
    return item


def _positive(value, label: str, *, places: int, allow_zero: bool = False) -> Decimal:
    number = validators.decimal_value(value, label, places=places, error=OfferError)
    if number < 0 or (number == 0 and not allow_zero):
        raise OfferError(_("The %(label)s must be more than 0.", label=label))
    if number >= pricing.MAX_AMOUNT:
        raise OfferError(_("The %(label)s is beyond what an offer can hold.", label=label))
    return number


def remove_item(offer_id: int, item_id: int, *, actor_id: int, expected_version: int | None = None) -> None:
    offer = _draft(offer_id, expected_version)
    item = next((i for i in offer.items if i.id == item_id), None)
    if item is None:
        raise NotFound(_("There is no such item on this offer."))
    offer.items.remove(item)
    db.session.flush()
    for position, rest in enumerate(offer.items, start=1):
        rest.position = -position  # two steps: the (offer, position) index is unique
    db.session.flush()
    for rest in offer.items:
        rest.position = -rest.position
    pricing.total_up(offer)
    db.session.flush()
    record_case_event(offer.case, "offer_changed", actor_id, audit={"offer_id": offer.id, "removed": item.code})


def set_schedule(
    offer_id: int, lines: list[tuple[str, object, date | None]], *, actor_id: int, expected_version: int | None = None
) -> Offer:
    """A draft's payment schedule: (label, percent of the total, due date) per payment; the shares make 100 %."""
    offer = _draft(offer_id, expected_version)
    today = operator_today()
    schedule = []
    for position, (text, percent, due_on) in enumerate(lines, start=1):
        name = validators.text(text, _("payment"), 100, required=True, error=OfferError)
        share = _positive(percent, _("share"), places=2)
        if due_on is None or due_on < today:
            raise OfferError(_("Payment %(name)s needs a due date from today on.", name=name))
        schedule.append(OfferInstalment(position=position, label=name, percent=share, due_on=due_on))
    if not schedule or sum(i.percent for i in schedule) != 100:
        raise OfferError(_("The payment schedule must add up to 100 %."))
    if any(b.due_on < a.due_on for a, b in itertools.pairwise(schedule)):
        raise OfferError(_("List the payments in the order they are due."))
    offer.instalments.clear()
    db.session.flush()
    offer.instalments.extend(schedule)
    db.session.flush()
    record_case_event(offer.case, "offer_changed", actor_id, audit={"offer_id": offer.id, "what": "schedule"})
    return offer


def problems(offer: Offer, today: date | None = None) -> list[str]:
    """What keeps a draft from being sent (empty when nothing does)."""
    today = today or operator_today()
    found = [
        _(
            "%(code)s has no resident tariff valid on %(date)s: import the hospital's tariff or change the date.",
            code=item.code,
            date=offer.treatment_on.isoformat() if offer.treatment_on else "?",
        )
        for item in offer.items
        if item.unit_price is None
    ]
    if not any(item.section == "treatment" for item in offer.items):
        found.append(_("The offer has no treatment item."))
    if offer.treatment_on is None:
        found.append(_("Enter the planned treatment date."))
    if offer.valid_until is None or offer.valid_until < today:
        found.append(_("The offer must be valid until today or later."))
    if not offer.instalments or sum(i.percent for i in offer.instalments) != 100:
        found.append(_("The payment schedule must add up to 100 %."))
    if offer.currency != offer.base_currency and offer.exchange_rate is None:
        found.append(_("Enter the exchange rate and its date."))
    return found


def send_offer(offer_id: int, *, actor_id: int, expected_version: int | None = None) -> Offer:
    """Freeze a draft and give it out: its PDF archived (SHA-256 kept), the versions before it superseded."""
    offer = _draft(offer_id, expected_version)
    lock_case(offer.case_id)
    blocking = problems(offer)
    if blocking:
        raise OfferError(" ".join(blocking))
    pdf = document.offer_pdf(offer)
    stored = archive.store_pdf(f"{offer.case.number}-offer-v{offer.version}", operator_today().year, pdf, kind="offer")
    offer.pdf_filename, offer.pdf_sha256, offer.pdf_size = stored.filename, stored.sha256, stored.size
    offer.status, offer.sent_at, offer.sent_by_id = "sent", utcnow(), actor_id
    db.session.execute(
        update(Offer)
        .where(Offer.case_id == offer.case_id, Offer.id != offer.id, Offer.status.in_(("sent", "accepted")))
        .values(status="superseded", row_version=Offer.row_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    record_case_event(
        offer.case,
        "offer_sent",
        actor_id,
        note=f"Offer version {offer.version}: {offer.total} {offer.currency}",
        audit={"offer_id": offer.id, "sha256": offer.pdf_sha256, "total": str(offer.total)},
    )
    signals.offer_sent.send(offer, actor_id=actor_id)
    return offer
