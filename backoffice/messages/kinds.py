"""Every kind of message the product sends by itself, and the administrator's switch that turns one off.

`KINDS` is the one list: the administrators' page shows it, `automatic.send` refuses a kind that is not in it, and a
kind switched off (a row in `automatic_message_switches` with `enabled` false; no row means on) is not queued at all.
The change that would have sent it (a new case, an issued invoice) still happens: a switch stops mail, never work.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.messages.models import AutomaticMessageSwitch
from backoffice.trail import record_event


@dataclass(frozen=True)
class AutomaticKind:
    """One kind of automatic message, named for administrators: what it says, to whom, when."""

    kind: str
    label: str
    recipient: str
    when: str


KINDS: dict[str, AutomaticKind] = {
    kind.kind: kind
    for kind in (
        AutomaticKind(
            "request_received",
            N_("Request received"),
            N_("the patient"),
            N_(
                "a treatment request arrives through the public form or a coordinator opens a case for a patient "
                "with an email address"
            ),
        ),
        AutomaticKind(
            "portal_invite",
            N_("Portal invitation"),
            N_("the patient"),
            N_("staff invite the patient to the portal"),
        ),
        AutomaticKind(
            "portal_password_reset",
            N_("Portal password reset"),
            N_("the patient"),
            N_("the patient asks for a new password on the sign-in page, or an administrator makes a reset link"),
        ),
        AutomaticKind(
            "itinerary_ready",
            N_("Itinerary ready"),
            N_("the patient"),
            N_("a coordinator first sends the itinerary to the patient"),
        ),
        AutomaticKind(
            "itinerary_changed",
            N_("Itinerary changed"),
            N_("the patient"),
            N_("a coordinator sends the itinerary again after it was sent once"),
        ),
        AutomaticKind(
            "invoice_issued",
            N_("Invoice issued"),
            N_("the patient"),
            N_("an invoice or credit note is issued"),
        ),
        AutomaticKind(
            "payment_received",
            N_("Payment received"),
            N_("the patient"),
            N_("a payment is recorded on an invoice"),
        ),
        AutomaticKind(
            "payment_reminder",
            N_("Payment reminder"),
            N_("the patient"),
            N_("finance sends the first or second reminder of an overdue invoice (what is left and the new due date)"),
        ),
        AutomaticKind(
            "medicine_shipped",
            N_("Medicine order shipped"),
            N_("the patient"),
            N_("the carrier takes a medicine order's parcel (carrier and tracking number)"),
        ),
        AutomaticKind(
            "follow_up_due",
            N_("Follow-up due"),
            N_("the patient"),
            N_("a week before a follow-up's date (the date only)"),
        ),
        AutomaticKind(
            "follow_up_due_hospital",
            N_("Follow-up due (hospital)"),
            N_("the hospital's contact"),
            N_("a week before a follow-up held at the hospital (its name says “outpatient” or “at the hospital”)"),
        ),
        AutomaticKind(
            "portal_message_waiting",
            N_("Portal message waiting"),
            N_("the patient"),
            N_("a coordinator answers in the portal (the mail says a message waits, with the link, never its text)"),
        ),
        AutomaticKind(
            "offer_waiting",
            N_("Treatment offer waiting"),
            N_("the patient"),
            N_(
                "a coordinator sends a treatment offer (the mail says an offer waits in the portal, with the link, "
                "never its prices)"
            ),
        ),
    )
}


class UnknownKind(DomainError):
    status_code = 422

    def __init__(self) -> None:
        super().__init__(_("There is no such kind of automatic message."))


class SwitchUnchanged(DomainError):
    status_code = 409


def is_on(kind: str) -> bool:
    """Whether the product sends messages of `kind` now (no switch row: on)."""
    if kind not in KINDS:
        raise UnknownKind()
    enabled = db.session.scalar(select(AutomaticMessageSwitch.enabled).where(AutomaticMessageSwitch.kind == kind))
    return enabled is None or bool(enabled)


def switches() -> list[tuple[AutomaticKind, AutomaticMessageSwitch | None]]:
    """Every kind with its switch row (None: never switched, so on), in the order of `KINDS`. One statement."""
    rows = {row.kind: row for row in db.session.scalars(select(AutomaticMessageSwitch))}
    return [(kind, rows.get(name)) for name, kind in KINDS.items()]


def switch_kind(kind: str, *, enabled: bool, actor_id: int) -> AutomaticMessageSwitch:
    """Turn an automatic kind on or off; who and when are kept on the row and in the audit trail.

    Refused (409) when the kind already is in that position, so two administrators flipping at once see it.
    """
    if kind not in KINDS:
        raise UnknownKind()
    row = db.session.get(AutomaticMessageSwitch, kind, with_for_update=True)
    was = row is None or row.enabled
    if was == enabled:
        label = _(KINDS[kind].label)
        raise SwitchUnchanged(
            _("“%(kind)s” is already on.", kind=label) if enabled else _("“%(kind)s” is already off.", kind=label)
        )
    if row is None:
        row = AutomaticMessageSwitch(kind=kind)
        db.session.add(row)
    row.enabled = enabled
    row.changed_by_id = actor_id
    row.changed_at = utcnow()
    db.session.flush()
    record_event(
        "message.kind_switched",
        actor_id=actor_id,
        object_type="automatic_message_kind",
        object_id=kind,
        details={"kind": kind, "before": "on" if was else "off", "after": "on" if enabled else "off"},
    )
    return row
