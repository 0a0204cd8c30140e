"""The patient's treatment offers in the portal: the list, one offer as its PDF shows it, the archived PDF, accepting
and declining; and the "an offer waits for you" mail when a coordinator sends one (`offers.signals.offer_sent`).

A patient sees the offers of their own cases that were given out (sent, accepted, declined, superseded), never a
draft. Any other offer id, another patient's, a draft or none at all, gets the portal's one 404 (`NotYours`), and
the attempt is audited. The rules of accepting (once, only a sent and valid version) are the offers' own
(`offers.operations`); this module only finds the patient's offer and hands their answer over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.messages import automatic
from backoffice.messages.models import Message
from backoffice.offers import acceptance, operations, signals
from backoffice.offers.models import Offer
from backoffice.offers.pricing import OfferError
from backoffice.patients.models import Patient
from backoffice.portal.own_cases import NotYours
from backoffice.storage import archive

WAITING = "offer_waiting"
SHOWN = ("sent", "accepted", "declined", "superseded")  # a draft is the coordinator's, never the patient's
# How a patient reads an offer's state (staff pages use offers.models.STATUS_LABELS).
STATE_WORDS = {
    "sent": N_("Waiting for your answer"),
    "expired": N_("Expired"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "superseded": N_("Replaced by a newer version"),
}


@dataclass(frozen=True)
class ListedOffer:
    offer: Offer
    state: str  # a key of STATE_WORDS

    @property
    def state_in_words(self) -> str:
        return _(STATE_WORDS[self.state])


def state_of(offer: Offer) -> str:
    """The offer's state as the patient reads it: a sent offer past its validity is expired."""
    if offer.status == "sent" and operations.is_expired(offer):
        return "expired"
    return offer.status


def may_answer(offer: Offer) -> bool:
    """Whether the page offers Accept and Decline: a sent offer still valid (the operation checks again)."""
    return state_of(offer) == "sent"


def offers_of_user(user_id: int) -> list[ListedOffer]:
    """The given-out offers of every case of the account's patient, newest case first, newest version first (one
    statement)."""
    offers = db.session.scalars(
        select(Offer)
        .join(Case, Case.id == Offer.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .where(Patient.user_id == user_id, Offer.status.in_(SHOWN))
        .options(contains_eager(Offer.case))
        .order_by(Case.requested_at.desc(), Case.id.desc(), Offer.version.desc())
    )
    return [ListedOffer(offer, state_of(offer)) for offer in offers]


def own_offer(offer_id: int, *, user_id: int) -> Offer:
    """One given-out offer of the account's patient, with its case, items and schedule; NotYours otherwise."""
    owner = db.session.scalar(
        select(Patient.user_id)
        .join(Case, Case.patient_id == Patient.id)
        .join(Offer, Offer.case_id == Case.id)
        .where(Offer.id == offer_id, Offer.status.in_(SHOWN))
    )
    if owner is None or owner != user_id:
        raise NotYours(user_id=user_id, object_type="offer", object_id=offer_id)
    return operations.get_offer(offer_id)


def newest_version(offer: Offer) -> Offer | None:
    """The version that replaced a superseded offer (the case's newest given out), for the page's link."""
    return db.session.scalar(
        select(Offer)
        .where(Offer.case_id == offer.case_id, Offer.status.in_(SHOWN), Offer.version > offer.version)
        .order_by(Offer.version.desc())
        .limit(1)
    )


def open_pdf(offer_id: int, *, user_id: int) -> tuple[Offer, bytes]:
    """The patient's offer and its PDF exactly as archived when it was sent; every download is audited. An offer
    without an archived PDF (an estimate from before offers existed) is not found; a PDF missing from the archive or
    differing from the one sent raises ArchiveError (503)."""
    offer = own_offer(offer_id, user_id=user_id)
    if not offer.pdf_filename or not offer.pdf_sha256:
        raise NotYours(user_id=user_id, object_type="offer", object_id=offer_id)
    pdf = archive.read_recorded(
        offer.pdf_filename,
        offer.pdf_sha256,
        action="portal.offer_downloaded",
        actor_id=user_id,
        object_type="offer",
        object_id=offer.id,
        details={"case_id": offer.case_id, "version": offer.version, "sha256": offer.pdf_sha256},
    )
    return offer, pdf


def pdf_filename(offer: Offer) -> str:
    return f"{offer.case.number}-offer-v{offer.version}.pdf"


def chosen_ids(values: Iterable[str]) -> list[int]:
    """The optional items the patient ticked, as ids; anything but a number is refused (the offer checks the rest)."""
    chosen = []
    for value in values:
        if not str(value).isdigit() or len(str(value)) > 18:
            raise OfferError(_("Only the optional items of this offer can be chosen."))
        chosen.append(int(value))
    return chosen


def accept(offer_id: int, *, user_id: int, name: str, address: str, chosen: Iterable[str]) -> Offer:
    """The patient accepts their offer in the portal: their typed name, the address it came from and the optional
    items ticked go to `offers.acceptance.accept_offer` (once; only a sent, valid version)."""
    offer = own_offer(offer_id, user_id=user_id)
    return acceptance.accept_offer(
        offer.id, actor_id=user_id, name=name, address=address, chosen_item_ids=chosen_ids(chosen), channel="portal"
    )


def decline(offer_id: int, *, user_id: int, reason: str) -> Offer:
    """The patient declines their offer with a reason, kept in their words."""
    offer = own_offer(offer_id, user_id=user_id)
    return acceptance.decline_offer(offer.id, actor_id=user_id, reason=reason)


# ---------------------------------------------------------------------------------------------- the mail


@signals.offer_sent.connect
def tell_patient_an_offer_waits(offer: Offer, **_extra) -> Message | None:
    """Queue the "an offer waits for you in the portal" mail in the patient's language, with the link to the offer
    and nothing of it (no prices, no treatment: mail crosses servers we do not control); None when the kind is
    switched off or the patient has no address. The coordinator's view kicks the outbox after its commit."""
    patient = db.session.get(Patient, offer.case.patient_id)
    return automatic.to_patient(
        WAITING,
        patient,
        case_id=offer.case_id,
        link=automatic.public_link("portal.show_offer", offer_id=offer.id),
        case_number=offer.case.number,
        version=offer.version,
        valid_until=offer.valid_until,
        has_account=patient.user_id is not None,
        operator_name=settings().operator_name,
    )
