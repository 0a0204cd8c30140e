"""What the directory does: hospitals, physicians, programmes, and which destinations take requests.

Admins and coordinators maintain the directory. Every change writes an audit row naming the fields that changed
(before and after), and flushes; the request or CLI command that called commits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from backoffice.audit.operations import record_event
from backoffice.auth.models import User
from backoffice.directory.follow_up_schedule import check_schedule
from backoffice.directory.models import (
    Contraindication,
    Hospital,
    PausedDestination,
    Physician,
    Programme,
    ProgrammePhase,
)
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.geo import check_country, check_languages, country_name
from backoffice.money import Money, MoneyError, check_amount, parse_money
from backoffice.pagination import Page, paginate

PAGE_SIZE = 50
CODE_PATTERN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
CODE_MAX = 20
PHONE_PATTERN = re.compile(r"[0-9+()./\- ]*[0-9][0-9+()./\- ]*")
MAX_STAY_DAYS = 1000  # a stay longer than this is a typing error, not a plan
MAX_PHASE_DAYS = 3653  # follow-up phases may run for years ("5 years"), not beyond ten
MAX_PRICE = Decimal("100000000")  # indicative prices stay well below; larger ones are typing errors
MAX_LINES = 50  # phases or contraindications of one programme


class DirectoryError(DomainError):
    pass


# ---------------------------------------------------------------------------------------------- checking values


def _text(value: str | None, label: str, max_length: int, *, required: bool = False) -> str:
    """Trimmed text; refused when required and empty, or longer than its column."""
    text = (value or "").strip()
    if required and not text:
        raise DirectoryError(f"Enter the {label}.")
    if len(text) > max_length:
        raise DirectoryError(f"The {label} is too long (at most {max_length} characters).")
    return text


def _code(value: str | None) -> str:
    code = (value or "").strip().upper()
    if not code:
        raise DirectoryError("Enter the hospital code (such as FRA-ABM).")
    if len(code) > CODE_MAX or not CODE_PATTERN.fullmatch(code):
        raise DirectoryError(
            f"{code[:40]!r} is not a hospital code: use up to {CODE_MAX} capital letters and digits, "
            "in groups joined by dashes (such as FRA-ABM)."
        )
    return code


def _country(value: str | None) -> str:
    try:
        return check_country(value or "")
    except ValueError as error:
        raise DirectoryError(f"Country: {error}.") from None


def _languages(value: Sequence[str] | str | None) -> list[str]:
    try:
        languages = check_languages(value or [])
    except ValueError as error:
        raise DirectoryError(f"Languages: {error}.") from None
    if len(languages) > 20:
        raise DirectoryError("List at most 20 languages.")
    return languages


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    """IANA time zone names (Europe/Berlin, Asia/Dubai, ...)."""
    return frozenset(available_timezones())


def _timezone(value: str | None) -> str:
    name = (value or "").strip()
    if not name:
        raise DirectoryError("Enter the hospital's time zone (such as Europe/Berlin).")
    if len(name) > 64 or name not in timezones():
        raise DirectoryError(f"{name[:64]!r} is not an IANA time zone (such as Europe/Berlin, Asia/Dubai).")
    return name


def _email(value: str | None, label: str) -> str:
    email = _text(value, label, 254).lower()
    if email and (email.count("@") != 1 or email.startswith("@") or email.endswith("@") or " " in email):
        raise DirectoryError(f"The {label} {email!r} is not an email address.")
    return email


def _phone(value: str | None) -> str:
    phone = _text(value, "contact phone", 40)
    if phone and not PHONE_PATTERN.fullmatch(phone):
        raise DirectoryError(f"{phone!r} is not a phone number (digits, spaces and + ( ) - . / only).")
    return phone


def _days(value: int | str | None, label: str, maximum: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise DirectoryError(f"The {label} must be a whole number, not {text[:20]!r}.")
    days = int(text)
    if days < 0:
        raise DirectoryError(f"The {label} cannot be negative.")
    if days > maximum:
        raise DirectoryError(f"The {label} cannot be more than {maximum} days.")
    return days


def _price(amount: Decimal | str | None, currency: str | None) -> Money | None:
    """An indicative price from text; none when no amount is given. Exact to the cent, never negative."""
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        return None
    try:
        price = parse_money(str(amount), currency or "")
        if price.amount >= MAX_PRICE:
            raise MoneyError(f"the price must be below {Money(MAX_PRICE, price.currency).format()}")
        return check_amount(price, places=2)
    except MoneyError as error:
        raise DirectoryError(f"Price from: {error}.") from None


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, Money | Decimal) else value


def _apply_changes(row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set `values` on `row`; return {field: [before, after]} for those that changed, for the audit row."""
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        before = getattr(row, name)
        if before != value:
            changes[name] = [_json(before), _json(value)]
            setattr(row, name, value)
    return changes


def _flush_unique(message: str) -> None:
    """Flush; a unique key taken meanwhile by a concurrent request (after our check) becomes a message too.

    The caller rolls back on the error, as after any DomainError.
    """
    try:
        db.session.flush()
    except IntegrityError:
        raise DirectoryError(message) from None


# ---------------------------------------------------------------------------------------------- hospitals


def get_hospital(hospital_id: int) -> Hospital:
    """A hospital with its physicians and programmes loaded; 404 when there is none."""
    hospital = db.session.scalar(
        select(Hospital)
        .where(Hospital.id == hospital_id)
        .options(selectinload(Hospital.physicians), selectinload(Hospital.programmes))
    )
    if hospital is None:
        raise NotFound("There is no such hospital.")
    return hospital


def _hospital_values(
    *,
    name: str,
    city: str,
    country: str,
    languages: Sequence[str] | str,
    timezone: str,
    address: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str,
) -> dict[str, Any]:
    return {
        "name": _text(name, "hospital name", 200, required=True),
        "city": _text(city, "city", 100, required=True),
        "country": _country(country),
        "languages": _languages(languages),
        "timezone": _timezone(timezone),
        "address": _text(address, "address", 300),
        "contact_name": _text(contact_name, "contact name", 120),
        "contact_email": _email(contact_email, "contact email"),
        "contact_phone": _phone(contact_phone),
    }


def _check_code_free(code: str, hospital_id: int | None = None) -> None:
    query = select(Hospital.name).where(Hospital.code == code)
    if hospital_id is not None:
        query = query.where(Hospital.id != hospital_id)
    holder = db.session.scalar(query)
    if holder is not None:
        raise DirectoryError(f"The code {code} is already used by {holder}.")


def create_hospital(
    *,
    code: str,
    name: str,
    city: str,
    country: str,
    languages: Sequence[str] | str = (),
    timezone: str = "Europe/Berlin",
    address: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    actor_id: int | None = None,
) -> Hospital:
    """Add a hospital. Its code (such as FRA-ABM) is unique; country, languages and time zone are checked."""
    code = _code(code)
    values = _hospital_values(
        name=name,
        city=city,
        country=country,
        languages=languages,
        timezone=timezone,
        address=address,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
    )
    _check_code_free(code)
    hospital = Hospital(code=code, active=True, **values)
    db.session.add(hospital)
    _flush_unique(f"The code {code} is already used by another hospital.")
    record_event(
        "hospital_created",
        actor_id=actor_id,
        object_type="hospital",
        object_id=hospital.id,
        details={"code": code, "name": hospital.name, "country": hospital.country},
    )
    return hospital


def update_hospital(
    hospital_id: int,
    *,
    code: str,
    name: str,
    city: str,
    country: str,
    languages: Sequence[str] | str,
    timezone: str,
    address: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    actor_id: int | None,
) -> Hospital:
    """Change a hospital's details; the code stays unique. Only what changed is recorded."""
    hospital = get_hospital(hospital_id)
    code = _code(code)
    values = _hospital_values(
        name=name,
        city=city,
        country=country,
        languages=languages,
        timezone=timezone,
        address=address,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
    )
    _check_code_free(code, hospital.id)
    changes = _apply_changes(hospital, {"code": code, **values})
    if changes:
        _flush_unique(f"The code {code} is already used by another hospital.")
        record_event(
            "hospital_updated", actor_id=actor_id, object_type="hospital", object_id=hospital.id, details=changes
        )
    return hospital


def deactivate_hospital(hospital_id: int, *, actor_id: int | None) -> Hospital:
    """Take a hospital out of use: it is no longer offered, and a country with no active hospital is not open."""
    hospital = get_hospital(hospital_id)
    if not hospital.active:
        raise DirectoryError(f"{hospital.name} is already deactivated.")
    hospital.active = False
    db.session.flush()
    record_event("hospital_deactivated", actor_id=actor_id, object_type="hospital", object_id=hospital.id)
    return hospital


def reactivate_hospital(hospital_id: int, *, actor_id: int | None) -> Hospital:
    hospital = get_hospital(hospital_id)
    if hospital.active:
        raise DirectoryError(f"{hospital.name} is already active.")
    hospital.active = True
    db.session.flush()
    record_event("hospital_reactivated", actor_id=actor_id, object_type="hospital", object_id=hospital.id)
    return hospital


def list_hospitals(*, page: int = 1, search: str | None = None, country: str | None = None) -> Page[Hospital]:
    """Hospitals by country and name, searched by name, code or city."""
    query = select(Hospital)
    if search and search.strip():
        term = search.strip().lower()
        query = query.where(
            func.lower(Hospital.name).contains(term, autoescape=True)
            | func.lower(Hospital.code).contains(term, autoescape=True)
            | func.lower(Hospital.city).contains(term, autoescape=True)
        )
    if country:
        query = query.where(Hospital.country == country.strip().upper()[:2])
    return paginate(query, page=page, per_page=PAGE_SIZE, order_by=(Hospital.country, Hospital.name, Hospital.id))


def staff_and_programme_counts(hospital_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Physicians and programmes per hospital, counted in the database (two statements for a whole page)."""
    physicians = dict(
        db.session.execute(
            select(Physician.hospital_id, func.count())
            .where(Physician.hospital_id.in_(hospital_ids))
            .group_by(Physician.hospital_id)
        ).all()
    )
    programmes = dict(
        db.session.execute(
            select(Programme.hospital_id, func.count())
            .where(Programme.hospital_id.in_(hospital_ids))
            .group_by(Programme.hospital_id)
        ).all()
    )
    return {
        hospital_id: (physicians.get(hospital_id, 0), programmes.get(hospital_id, 0)) for hospital_id in hospital_ids
    }


def hospital_countries() -> list[tuple[str, str]]:
    """(code, name) of the countries that have hospitals in the directory, by name (for the list's filter)."""
    codes = db.session.scalars(select(Hospital.country).distinct())
    return sorted(((code, country_name(code)) for code in codes), key=lambda item: item[1])


# ---------------------------------------------------------------------------------------------- physicians


def get_physician(physician_id: int) -> Physician:
    physician = db.session.scalar(
        select(Physician).where(Physician.id == physician_id).options(joinedload(Physician.hospital))
    )
    if physician is None:
        raise NotFound("There is no such physician.")
    return physician


def _physician_values(*, name: str, specialty: str, languages: Sequence[str] | str, email: str) -> dict[str, Any]:
    return {
        "name": _text(name, "physician's name", 120, required=True),
        "specialty": _text(specialty, "specialty", 120, required=True),
        "languages": _languages(languages),
        "email": _email(email, "physician's email"),
    }


def create_physician(
    hospital_id: int,
    *,
    name: str,
    specialty: str,
    languages: Sequence[str] | str = (),
    email: str = "",
    actor_id: int | None = None,
) -> Physician:
    """Add a physician to a hospital. A physician belongs to exactly one active hospital."""
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound("There is no such hospital.")
    if not hospital.active:
        raise DirectoryError(f"{hospital.name} is deactivated; reactivate it before adding physicians.")
    values = _physician_values(name=name, specialty=specialty, languages=languages, email=email)
    physician = Physician(hospital_id=hospital.id, active=True, **values)
    db.session.add(physician)
    db.session.flush()
    record_event(
        "physician_created",
        actor_id=actor_id,
        object_type="physician",
        object_id=physician.id,
        details={"hospital": hospital.code, "name": physician.name, "specialty": physician.specialty},
    )
    return physician


def update_physician(
    physician_id: int,
    *,
    name: str,
    specialty: str,
    languages: Sequence[str] | str,
    email: str = "",
    active: bool = True,
    actor_id: int | None,
) -> Physician:
    """Change a physician's details. The hospital stays: cases name the physician with the hospital."""
    physician = get_physician(physician_id)
    values = _physician_values(name=name, specialty=specialty, languages=languages, email=email)
    changes = _apply_changes(physician, {**values, "active": bool(active)})
    if changes:
        db.session.flush()
        record_event(
            "physician_updated", actor_id=actor_id, object_type="physician", object_id=physician.id, details=changes
        )
    return physician


# ---------------------------------------------------------------------------------------------- programmes


@dataclass(frozen=True)
class PhaseLine:
    """One phase of a programme: "Leukocytapheresis | 1 week | 7"."""

    name: str
    duration: str = ""
    duration_days: int | None = None


@dataclass(frozen=True)
class ContraindicationLine:
    """One contraindication: "Pregnancy | after birth"."""

    question: str
    resolution_hint: str = ""


def get_programme(programme_id: int) -> Programme:
    """A programme with its hospital, phases and contraindications loaded; 404 when there is none."""
    programme = db.session.scalar(
        select(Programme)
        .where(Programme.id == programme_id)
        .options(
            joinedload(Programme.hospital),
            selectinload(Programme.phases),
            selectinload(Programme.contraindications),
        )
    )
    if programme is None:
        raise NotFound("There is no such programme.")
    return programme


def _split_lines(text: str | None, what: str) -> list[tuple[int, list[str]]]:
    """Non-blank lines with their line numbers, split at '|' and trimmed."""
    lines = [(number, line) for number, line in enumerate((text or "").splitlines(), start=1) if line.strip()]
    if len(lines) > MAX_LINES:
        raise DirectoryError(f"List at most {MAX_LINES} {what}.")
    return [(number, [part.strip() for part in line.split("|")]) for number, line in lines]


def _line_error(number: int, error: DirectoryError) -> DirectoryError:
    return DirectoryError(f"Line {number}: {error.message}")


def _part(value: str | None, label: str, max_length: int, *, required: bool = False) -> str:
    """One part of a phase or contraindication line; '|' separates parts, so it cannot be inside one."""
    text = _text(value, label, max_length, required=required)
    if "|" in text or "\n" in text:
        raise DirectoryError(f"The {label} cannot contain '|' or a line break.")
    return text


def _phase(name: str, duration: str = "", duration_days: int | str | None = None) -> PhaseLine:
    return PhaseLine(
        name=_part(name, "phase name", 200, required=True),
        duration=_part(duration, "duration", 100),
        duration_days=_days(duration_days, "length in days", MAX_PHASE_DAYS),
    )


def _contraindication(question: str, resolution_hint: str = "") -> ContraindicationLine:
    return ContraindicationLine(
        question=_part(question, "contraindication", 300, required=True),
        resolution_hint=_part(resolution_hint, "resolution hint", 200),
    )


def parse_phases(text: str | None) -> list[PhaseLine]:
    """Phases from one line each, "Name | duration | days" (duration and days optional), in order.

    A wrong line is refused with its line number, so the person can find it.
    """
    phases = []
    for number, parts in _split_lines(text, "phases"):
        if len(parts) > 3:
            raise DirectoryError(f"Line {number}: write at most three parts, Name | duration | days.")
        try:
            phases.append(_phase(*parts))
        except DirectoryError as error:
            raise _line_error(number, error) from None
    return phases


def parse_contraindications(text: str | None) -> list[ContraindicationLine]:
    """Contraindications from one line each, "Question | resolution hint" (hint optional), in order."""
    items = []
    for number, parts in _split_lines(text, "contraindications"):
        if len(parts) > 2:
            raise DirectoryError(f"Line {number}: write at most two parts, Question | resolution hint.")
        try:
            items.append(_contraindication(*parts))
        except DirectoryError as error:
            raise _line_error(number, error) from None
    return items


def format_phases(programme: Programme) -> str:
    """The phases as the text `parse_phases` reads, for editing."""
    lines = []
    for phase in programme.phases:
        parts = [phase.name, phase.duration, "" if phase.duration_days is None else str(phase.duration_days)]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def format_contraindications(programme: Programme) -> str:
    return "\n".join(
        f"{item.question} | {item.resolution_hint}" if item.resolution_hint else item.question
        for item in programme.contraindications
    )


def _programme_values(
    *,
    name: str,
    description: str,
    price_from_amount: Decimal | str | None,
    price_from_currency: str | None,
    typical_stay_days: int | str | None,
    follow_up_plan: str,
    follow_up_schedule: str,
) -> dict[str, Any]:
    return {
        "follow_up_schedule": check_schedule(follow_up_schedule),
        "name": _text(name, "programme name", 200, required=True),
        "description": _text(description, "description", 20000),
        "price_from": _price(price_from_amount, price_from_currency),
        "typical_stay_days": _days(typical_stay_days, "typical length of stay (days)", MAX_STAY_DAYS),
        "follow_up_plan": _text(follow_up_plan, "follow-up plan", 20000),
    }


def _check_programme_name_free(hospital: Hospital, name: str, programme_id: int | None = None) -> None:
    query = select(Programme.id).where(Programme.hospital_id == hospital.id, func.lower(Programme.name) == name.lower())
    if programme_id is not None:
        query = query.where(Programme.id != programme_id)
    if db.session.scalar(query) is not None:
        raise DirectoryError(f"{hospital.name} already has a programme named {name!r}.")


def _replace_phases(programme: Programme, phases: Sequence[PhaseLine]) -> list[str] | None:
    """Replace the ordered phases; the names for the audit row, or None when nothing changed."""
    phases = [_phase(p.name, p.duration, p.duration_days) for p in phases]
    if len(phases) > MAX_LINES:
        raise DirectoryError(f"List at most {MAX_LINES} phases.")
    current = [PhaseLine(p.name, p.duration, p.duration_days) for p in programme.phases]
    if current == phases:
        return None
    # Old rows go first: positions are unique per programme and the new list reuses them.
    programme.phases.clear()
    db.session.flush()
    for position, phase in enumerate(phases, start=1):
        programme.phases.append(
            ProgrammePhase(
                position=position, name=phase.name, duration=phase.duration, duration_days=phase.duration_days
            )
        )
    db.session.flush()
    return [phase.name for phase in phases]


def _replace_contraindications(programme: Programme, items: Sequence[ContraindicationLine]) -> list[str] | None:
    """Replace the ordered contraindications. Cases already screened keep their copied questions."""
    items = [_contraindication(item.question, item.resolution_hint) for item in items]
    if len(items) > MAX_LINES:
        raise DirectoryError(f"List at most {MAX_LINES} contraindications.")
    current = [ContraindicationLine(c.question, c.resolution_hint) for c in programme.contraindications]
    if current == items:
        return None
    programme.contraindications.clear()
    db.session.flush()
    for position, item in enumerate(items, start=1):
        programme.contraindications.append(
            Contraindication(position=position, question=item.question, resolution_hint=item.resolution_hint)
        )
    db.session.flush()
    return [item.question for item in items]


def create_programme(
    hospital_id: int,
    *,
    name: str,
    description: str = "",
    price_from_amount: Decimal | str | None = None,
    price_from_currency: str | None = "EUR",
    typical_stay_days: int | str | None = None,
    follow_up_plan: str = "",
    follow_up_schedule: str = "",
    phases: Sequence[PhaseLine] = (),
    contraindications: Sequence[ContraindicationLine] = (),
    actor_id: int | None = None,
) -> Programme:
    """Add a treatment programme to an active hospital; its name is unique within the hospital.

    The price from is exact (at most cents, never negative); the phases and contraindications keep their order.
    """
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound("There is no such hospital.")
    if not hospital.active:
        raise DirectoryError(f"{hospital.name} is deactivated; reactivate it before adding programmes.")
    values = _programme_values(
        name=name,
        description=description,
        price_from_amount=price_from_amount,
        price_from_currency=price_from_currency,
        typical_stay_days=typical_stay_days,
        follow_up_plan=follow_up_plan,
        follow_up_schedule=follow_up_schedule,
    )
    _check_programme_name_free(hospital, values["name"])
    programme = Programme(hospital_id=hospital.id, active=True, phases=[], contraindications=[], **values)
    db.session.add(programme)
    _flush_unique(f"{hospital.name} already has a programme named {programme.name!r}.")
    _replace_phases(programme, phases)
    _replace_contraindications(programme, contraindications)
    record_event(
        "programme_created",
        actor_id=actor_id,
        object_type="programme",
        object_id=programme.id,
        details={
            "hospital": hospital.code,
            "name": programme.name,
            "price_from": _json(programme.price_from),
            "phases": len(programme.phases),
            "contraindications": len(programme.contraindications),
        },
    )
    return programme


def update_programme(
    programme_id: int,
    *,
    name: str,
    description: str = "",
    price_from_amount: Decimal | str | None = None,
    price_from_currency: str | None = "EUR",
    typical_stay_days: int | str | None = None,
    follow_up_plan: str = "",
    follow_up_schedule: str = "",
    active: bool = True,
    phases: Sequence[PhaseLine] | None = None,
    contraindications: Sequence[ContraindicationLine] | None = None,
    actor_id: int | None,
) -> Programme:
    """Change a programme; phases and contraindications, when given, replace the ordered lists as a whole."""
    programme = get_programme(programme_id)
    values = _programme_values(
        name=name,
        description=description,
        price_from_amount=price_from_amount,
        price_from_currency=price_from_currency,
        typical_stay_days=typical_stay_days,
        follow_up_plan=follow_up_plan,
        follow_up_schedule=follow_up_schedule,
    )
    _check_programme_name_free(programme.hospital, values["name"], programme.id)
    changes: dict[str, Any] = _apply_changes(programme, {**values, "active": bool(active)})
    _flush_unique(f"{programme.hospital.name} already has a programme named {programme.name!r}.")
    # Long texts would swamp the audit log: name the change, not the text.
    for long_text in ("description", "follow_up_plan", "follow_up_schedule"):
        if long_text in changes:
            changes[long_text] = "changed"
    if phases is not None and (names := _replace_phases(programme, phases)) is not None:
        changes["phases"] = names
    if (
        contraindications is not None
        and (questions := _replace_contraindications(programme, contraindications)) is not None
    ):
        changes["contraindications"] = questions
    if changes:
        db.session.flush()
        record_event(
            "programme_updated", actor_id=actor_id, object_type="programme", object_id=programme.id, details=changes
        )
    return programme


def set_phases(programme_id: int, phases: Sequence[PhaseLine], *, actor_id: int | None) -> Programme:
    """Replace a programme's ordered phases in one operation."""
    programme = get_programme(programme_id)
    names = _replace_phases(programme, phases)
    if names is not None:
        record_event(
            "programme_phases_set",
            actor_id=actor_id,
            object_type="programme",
            object_id=programme.id,
            details={"phases": names},
        )
    return programme


def set_contraindications(
    programme_id: int, contraindications: Sequence[ContraindicationLine], *, actor_id: int | None
) -> Programme:
    """Replace a programme's ordered contraindications in one operation."""
    programme = get_programme(programme_id)
    questions = _replace_contraindications(programme, contraindications)
    if questions is not None:
        record_event(
            "programme_contraindications_set",
            actor_id=actor_id,
            object_type="programme",
            object_id=programme.id,
            details={"contraindications": questions},
        )
    return programme


# ---------------------------------------------------------------------------------------------- paused destinations


def paused_countries() -> dict[str, PausedDestination]:
    """Destination countries to which intake is paused, by country code."""
    return {row.country: row for row in db.session.scalars(select(PausedDestination))}


def is_paused(country: str | None) -> bool:
    return bool(country) and db.session.get(PausedDestination, country.upper()) is not None


def open_destinations() -> list[tuple[str, str]]:
    """(code, name) of the countries with an active hospital whose intake is not paused, by name."""
    with_hospitals = set(db.session.scalars(select(Hospital.country).where(Hospital.active.is_(True)).distinct()))
    paused = set(paused_countries())
    return sorted(((code, country_name(code)) for code in with_hospitals - paused), key=lambda item: item[1])


def pause_destination(country: str, *, reason: str = "", actor_id: int | None) -> PausedDestination:
    """Stop accepting requests for a destination country (the public form refuses it and names open ones)."""
    try:
        country = check_country(country)
    except ValueError as error:
        raise DirectoryError(str(error)) from None
    if db.session.get(PausedDestination, country) is not None:
        raise DirectoryError(f"Intake to {country_name(country)} is already paused.")
    paused = PausedDestination(country=country, reason=(reason or "").strip()[:300], paused_by_id=actor_id)
    db.session.add(paused)
    db.session.flush()
    record_event(
        "destination_paused",
        actor_id=actor_id,
        object_type="country",
        object_id=country,
        details={"reason": paused.reason},
    )
    return paused


def resume_destination(country: str, *, actor_id: int | None) -> str:
    """Accept requests for a paused destination again; returns its country code."""
    paused = db.session.get(PausedDestination, (country or "").upper())
    if paused is None:
        raise DirectoryError(f"Intake to {country_name(country)} is not paused.")
    db.session.delete(paused)
    db.session.flush()
    record_event("destination_resumed", actor_id=actor_id, object_type="country", object_id=paused.country)
    return paused.country


def list_paused_destinations() -> list[tuple[PausedDestination, User | None]]:
    """Paused destinations by country name, each with who paused it (one statement)."""
    rows = db.session.execute(
        select(PausedDestination, User).outerjoin(User, User.id == PausedDestination.paused_by_id)
    ).all()
    return sorted(((paused, user) for paused, user in rows), key=lambda row: country_name(row[0].country))
