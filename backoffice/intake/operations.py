"""Taking treatment requests from the public form: rate limit, junk filter, paused destinations, then a new case.

Every submission that reaches `submit_request` leaves an `IntakeAttempt`, refused or not. The attempt is stored and
committed first, as "pending", and only then counted, so parallel submissions cannot all slip under the limit; the
caller commits its outcome even when a refusal is raised.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from backoffice.cases.models import Case
from backoffice.cases.opening import announce_opened, note_known_contact
from backoffice.cases.operations import open_case_for_new_patient
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.directory.operations import is_paused, open_destinations
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.geo import country_name
from backoffice.intake.models import IntakeAttempt
from backoffice.languages import page_language
from backoffice.notifications.operations import notify_case
from backoffice.patients.models import Patient

# Outcomes that use up the allowance of an address. Paused destinations do not: the person is told to choose
# another country and should be able to send the request again right away.
COUNTED_OUTCOMES = ("pending", "accepted", "rejected")
MAX_LINKS = 3
_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


class IntakeRefused(DomainError):
    """The request was not taken; the message tells the person why and what to do instead, in the page's language."""


class RequestRejected(IntakeRefused):
    """The request looks like junk (or lacks what a case needs)."""


class TooManyRequests(IntakeRefused):
    status_code = 429

    def __init__(self, retry_after: timedelta):
        super().__init__(
            _(
                "Too many requests from your connection; please try again in an hour, or write to us at %(email)s.",
                email=settings().operator_email,
            )
        )
        self.retry_after = retry_after


class DestinationPaused(IntakeRefused):
    """Intake to the chosen destination country is paused; `open_destinations` lists the countries that are not."""

    def __init__(self, country: str, open_destinations: list[tuple[str, str]]):
        self.country = country
        self.open_destinations = open_destinations
        language = page_language()
        message = _(
            "We are not taking new requests for treatment in %(country)s at the moment.",
            country=country_name(country, language),
        )
        if open_destinations:
            names = ", ".join(country_name(code, language) for code, _name in open_destinations)
            message += " " + _("Destinations open now: %(names)s. Choose one of them, or “No preference”.", names=names)
        else:
            message += " " + _("Choose “No preference” and your coordinator will suggest a destination.")
        super().__init__(message)


def submit_request(
    *,
    name: str,
    email: str,
    phone: str = "",
    country: str,
    preferred_language: str = "en",
    requested_treatment: str,
    destination_country: str | None = None,
    message: str = "",
    consent: bool,
    honeypot: str = "",
    remote_addr: str,
    now: datetime | None = None,
) -> Case | None:
    """Take a treatment request from the public form: a new patient record, a case in state `new` and the
    "request received" mail to the patient, queued in the same transaction.

    Refused, in this order: an address over its allowance in the sliding window (429), junk (links, punctuation
    only, control characters; 422), a paused destination (422, naming the open ones). A filled honeypot returns
    None without creating anything, so that a bot sees the same thank-you page as a person.
    """
    remote_addr = (remote_addr or "unknown")[:64]
    now = now or utcnow()
    attempt = _take_allowance(remote_addr, now)

    if (honeypot or "").strip():
        _record(attempt, "rejected", "honeypot filled")
        return None
    texts = {"name": name, "treatment": requested_treatment, "message": message}
    problem = _junk(texts) or _missing(name, email, country, requested_treatment, consent)
    if problem:
        detail, explanation = problem
        _record(attempt, "rejected", detail)
        raise RequestRejected(explanation)

    destination = (destination_country or "").strip().upper() or None
    if destination and is_paused(destination):
        _record(attempt, "paused_destination", f"destination {destination}")
        raise DestinationPaused(destination, open_destinations())

    try:
        # A savepoint: if the patient is written but the case is refused, neither stays, yet the attempt does.
        with db.session.begin_nested():
            case = open_case_for_new_patient(
                {
                    "name": name,
                    "email": email,
                    "phone": phone,
                    "country": country,
                    "preferred_language": preferred_language,
                },
                requested_treatment=requested_treatment,
                destination_country=destination,
                message=message,
                source="web",
                consent_at=now,
                requested_at=now,
            )
            patient = db.session.get(Patient, case.patient_id)
            # The confirmation (messages answers the signal) is queued with the case: sent exactly when it exists.
            announce_opened(case, actor_id=None)
            notify_case("new_request", case, key=f"case:{case.id}", everyone_if_unassigned=True)
    except DomainError as error:
        _record(attempt, "rejected", f"invalid: {error.message}")
        raise RequestRejected(error.message) from None
    # The visitor is told nothing about other patients; the coordinator finds the warning on the new case.
    note_known_contact(case, patient, actor_id=None)
    _record(attempt, "accepted", case.number, case_id=case.id)
    return case


def received_request(number: str | None) -> Case | None:
    """The case a thank-you page confirms, with its patient, or None."""
    if not number:
        return None
    return db.session.scalar(select(Case).where(Case.number == number).options(joinedload(Case.patient)))


def _take_allowance(remote_addr: str, now: datetime) -> IntakeAttempt:
    """Store this submission as pending and commit it, then count: over the allowance, it is refused (429).

    Counted after the commit, whatever the workers and the database: of many submissions at once, the k-th to commit
    sees at least k, so no more than the allowance get past. A pending attempt counts until its outcome is known
    (one whose request died on the way keeps counting: the safe side).
    """
    attempt = IntakeAttempt(remote_addr=remote_addr, outcome="pending", detail="", attempted_at=now)
    db.session.add(attempt)
    db.session.commit()
    window = settings().intake_window
    limit = settings().intake_max_per_address
    count, oldest = db.session.execute(
        select(func.count(), func.min(IntakeAttempt.attempted_at)).where(
            IntakeAttempt.remote_addr == remote_addr,
            IntakeAttempt.outcome.in_(COUNTED_OUTCOMES),
            IntakeAttempt.attempted_at > now - window,
        )
    ).one()
    if count > limit:
        _record(attempt, "rate_limited", f"{count - 1} requests within {window}")
        raise TooManyRequests(retry_after=max(oldest + window - now, timedelta(seconds=1)))
    return attempt


def _junk(texts: dict[str, str]) -> tuple[str, str] | None:
    """(detail for the record, message for the person) when the text looks automated, else None."""
    for field, value in texts.items():
        if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value or ""):
            return (
                f"control characters in {field}",
                _("The request contains invisible control characters; please type it again."),
            )
        if (value or "").strip() and not any(ch.isalnum() for ch in value):
            return f"punctuation only in {field}", _("Please write the request in words, not only punctuation marks.")
    links = sum(len(_LINK.findall(value or "")) for value in texts.values())
    if links > MAX_LINKS:
        return (
            f"{links} links",
            _(
                "Please include no more than %(count)s web links; your coordinator will ask for documents later.",
                count=MAX_LINKS,
            ),
        )
    return None


def _missing(name: str, email: str, country: str, treatment: str, consent: bool) -> tuple[str, str] | None:
    if not consent:
        return "no consent", _("We can only take the request with your consent to the processing of health data.")
    required = (
        (name, "the patient's name", _("Enter the patient's name.")),
        (email, "an email address", _("Enter an email address we can answer to.")),
        (country, "the country", _("Choose the country you live in.")),
    )
    for value, what, message in required:
        if not (value or "").strip():
            return f"missing {what}", message
    if not (treatment or "").strip():
        return "missing treatment", _("Tell us the diagnosis or the treatment you are looking for.")
    return None


def _record(attempt: IntakeAttempt, outcome: str, detail: str, case_id: int | None = None) -> None:
    attempt.outcome, attempt.detail, attempt.case_id = outcome, detail[:200], case_id
    db.session.flush()
