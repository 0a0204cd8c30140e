"""Treatment programmes of the directory: their details, indicative price, ordered phases and contraindications.

A programme belongs to one hospital and its name is unique there. Phases and contraindications are typed one per
line and replaced as a whole; every change writes an audit row naming what changed, and flushes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from backoffice import validators
from backoffice.directory import values
from backoffice.directory.follow_up_schedule import check_schedule
from backoffice.directory.models import Contraindication, Hospital, Programme, ProgrammePhase
from backoffice.directory.values import DirectoryError
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.trail import record_event

MAX_STAY_DAYS = 1000  # a stay longer than this is a typing error, not a plan
MAX_PHASE_DAYS = 3653  # follow-up phases may run for years ("5 years"), not beyond ten
MAX_LINES = 50  # phases or contraindications of one programme
MAX_PRICE = Decimal("100000000")  # indicative prices stay well below; larger ones are typing errors


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
        raise NotFound(_("There is no such programme."))
    return programme


def _split_lines(text: str | None, too_many: str) -> list[tuple[int, list[str]]]:
    """Non-blank lines with their line numbers, split at '|' and trimmed; `too_many` refuses more than MAX_LINES."""
    lines = [(number, line) for number, line in enumerate((text or "").splitlines(), start=1) if line.strip()]
    if len(lines) > MAX_LINES:
        raise DirectoryError(too_many)
    return [(number, [part.strip() for part in line.split("|")]) for number, line in lines]


def _line_error(number: int, error: DirectoryError) -> DirectoryError:
    return DirectoryError(_("Line %(number)s: %(problem)s", number=number, problem=error.message))


def _part(value: str | None, label: str, max_length: int, *, required: bool = False) -> str:
    """One part of a phase or contraindication line; '|' separates parts, so it cannot be inside one."""
    text = validators.text(value, label, max_length, required=required, error=DirectoryError)
    if "|" in text or "\n" in text:
        raise DirectoryError(_("The %(label)s cannot contain '|' or a line break.", label=label))
    return text


def _phase(name: str, duration: str = "", duration_days: int | str | None = None) -> PhaseLine:
    return PhaseLine(
        name=_part(name, _("phase name"), 200, required=True),
        duration=_part(duration, _("duration"), 100),
        duration_days=validators.days(duration_days, _("length in days"), MAX_PHASE_DAYS, error=DirectoryError),
    )


def _contraindication(question: str, resolution_hint: str = "") -> ContraindicationLine:
    return ContraindicationLine(
        question=_part(question, _("contraindication"), 300, required=True),
        resolution_hint=_part(resolution_hint, _("resolution hint"), 200),
    )


def parse_phases(text: str | None) -> list[PhaseLine]:
    """Phases from one line each, "Name | duration | days" (duration and days optional), in order.

    A wrong line is refused with its line number, so the person can find it.
    """
    phases = []
    for number, parts in _split_lines(text, _("List at most %(max)s phases.", max=MAX_LINES)):
        if len(parts) > 3:
            raise DirectoryError(
                _("Line %(number)s: write at most three parts, Name | duration | days.", number=number)
            )
        try:
            phases.append(_phase(*parts))
        except DirectoryError as error:
            raise _line_error(number, error) from None
    return phases


def parse_contraindications(text: str | None) -> list[ContraindicationLine]:
    """Contraindications from one line each, "Question | resolution hint" (hint optional), in order."""
    items = []
    for number, parts in _split_lines(text, _("List at most %(max)s contraindications.", max=MAX_LINES)):
        if len(parts) > 2:
            raise DirectoryError(
                _("Line %(number)s: write at most two parts, Question | resolution hint.", number=number)
            )
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
    tariff_codes: str,
) -> dict[str, Any]:
    return {
        "follow_up_schedule": check_schedule(follow_up_schedule),
        "tariff_codes": check_tariff_codes(tariff_codes),
        "name": validators.text(name, _("programme name"), 200, required=True, error=DirectoryError),
        "description": validators.text(description, _("description"), 20000, error=DirectoryError),
        "price_from": validators.money(
            price_from_amount, price_from_currency, _("Price from"), below=MAX_PRICE, error=DirectoryError
        ),
        "typical_stay_days": validators.days(
            typical_stay_days, _("typical length of stay (days)"), MAX_STAY_DAYS, error=DirectoryError
        ),
        "follow_up_plan": validators.text(follow_up_plan, _("follow-up plan"), 20000, error=DirectoryError),
    }


TARIFF_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
MAX_TARIFF_CODES = 500


MAX_QUANTITY = Decimal("10000")


@dataclass(frozen=True)
class ProgrammeItem:
    """One resident-tariff code of a programme and how many of it the programme takes (1 unless written)."""

    code: str
    quantity: Decimal = Decimal(1)


def _quantity(text: str, code: str) -> Decimal:
    try:
        quantity = Decimal(text.replace(",", "."))
    except ArithmeticError:
        quantity = None
    if quantity is None or not quantity.is_finite() or quantity <= 0 or quantity >= MAX_QUANTITY:
        raise DirectoryError(_("The quantity of %(code)s must be a number above 0 and below 10000.", code=code))
    if quantity != quantity.quantize(Decimal("0.0001")):
        raise DirectoryError(_("The quantity of %(code)s has at most 4 decimal places.", code=code))
    return quantity.normalize() if quantity == quantity.to_integral() else quantity


def programme_items(text: str | None) -> list[ProgrammeItem]:
    """The programme's codes with quantities, as `check_tariff_codes` stores them: one per line, "CODE" or
    "CODE | quantity". Codes may also be separated by commas, semicolons or spaces (each quantity 1)."""
    items: list[ProgrammeItem] = []
    for line in (text or "").splitlines():
        if "|" in line:
            code, _bar, quantity = (part.strip() for part in line.partition("|"))
            items.append(ProgrammeItem(code, _quantity(quantity, code[:40])))
        else:
            items += [ProgrammeItem(code) for code in re.split(r"[\s,;]+", line) if code]
    return items


def split_tariff_codes(text: str | None) -> list[str]:
    return [item.code for item in programme_items(text)]


def check_tariff_codes(text: str | None) -> str:
    """The programme's resident-tariff codes with quantities ("ABM-WARD | 14", one per line; a code alone is 1, and
    codes alone may be separated by commas or spaces); stored one per line, each code once.

    A hospital bill line with a code outside this list is flagged `not_in_programme`; an empty list skips the check.
    The quantities price the programme in a treatment offer.
    """
    items: dict[str, ProgrammeItem] = {}
    for item in programme_items(text):
        if not TARIFF_CODE.match(item.code):
            raise DirectoryError(
                _("%(value)s is not a tariff code (letters, digits, . _ / - ; at most 40).", value=repr(item.code[:50]))
            )
        if item.code in items and items[item.code] != item:
            raise DirectoryError(
                _("%(code)s is listed twice with different quantities; write it once.", code=item.code)
            )
        items[item.code] = item
    if len(items) > MAX_TARIFF_CODES:
        raise DirectoryError(_("A programme lists at most %(max)s tariff codes.", max=MAX_TARIFF_CODES))
    return "\n".join(item.code if item.quantity == 1 else f"{item.code} | {item.quantity:f}" for item in items.values())


def _check_programme_name_free(hospital: Hospital, name: str, programme_id: int | None = None) -> None:
    query = select(Programme.id).where(Programme.hospital_id == hospital.id, func.lower(Programme.name) == name.lower())
    if programme_id is not None:
        query = query.where(Programme.id != programme_id)
    if db.session.scalar(query) is not None:
        raise DirectoryError(
            _("%(hospital)s already has a programme named %(name)s.", hospital=hospital.name, name=repr(name))
        )


def _replace_phases(programme: Programme, phases: Sequence[PhaseLine]) -> list[str] | None:
    """Replace the ordered phases; the names for the audit row, or None when nothing changed."""
    phases = [_phase(p.name, p.duration, p.duration_days) for p in phases]
    if len(phases) > MAX_LINES:
        raise DirectoryError(_("List at most %(max)s phases.", max=MAX_LINES))
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
        raise DirectoryError(_("List at most %(max)s contraindications.", max=MAX_LINES))
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
    tariff_codes: str = "",
    phases: Sequence[PhaseLine] = (),
    contraindications: Sequence[ContraindicationLine] = (),
    actor_id: int | None = None,
) -> Programme:
    """Add a treatment programme to an active hospital; its name is unique within the hospital.

    The price from is exact (at most cents, never negative); the phases and contraindications keep their order.
    """
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound(_("There is no such hospital."))
    if not hospital.active:
        raise DirectoryError(
            _("%(hospital)s is deactivated; reactivate it before adding programmes.", hospital=hospital.name)
        )
    fields = _programme_values(
        name=name,
        description=description,
        price_from_amount=price_from_amount,
        price_from_currency=price_from_currency,
        typical_stay_days=typical_stay_days,
        follow_up_plan=follow_up_plan,
        follow_up_schedule=follow_up_schedule,
        tariff_codes=tariff_codes,
    )
    _check_programme_name_free(hospital, fields["name"])
    programme = Programme(hospital_id=hospital.id, active=True, phases=[], contraindications=[], **fields)
    db.session.add(programme)
    values.flush_unique(
        _("%(hospital)s already has a programme named %(name)s.", hospital=hospital.name, name=repr(programme.name))
    )
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
            "price_from": validators.plain(programme.price_from),
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
    tariff_codes: str = "",
    active: bool = True,
    phases: Sequence[PhaseLine] | None = None,
    contraindications: Sequence[ContraindicationLine] | None = None,
    actor_id: int | None,
) -> Programme:
    """Change a programme; phases and contraindications, when given, replace the ordered lists as a whole."""
    programme = get_programme(programme_id)
    fields = _programme_values(
        name=name,
        description=description,
        price_from_amount=price_from_amount,
        price_from_currency=price_from_currency,
        typical_stay_days=typical_stay_days,
        follow_up_plan=follow_up_plan,
        follow_up_schedule=follow_up_schedule,
        tariff_codes=tariff_codes,
    )
    _check_programme_name_free(programme.hospital, fields["name"], programme.id)
    changes: dict[str, Any] = values.apply_changes(programme, {**fields, "active": bool(active)})
    values.flush_unique(
        _(
            "%(hospital)s already has a programme named %(name)s.",
            hospital=programme.hospital.name,
            name=repr(programme.name),
        )
    )
    # Long texts would swamp the audit log: name the change, not the text.
    for long_text in ("description", "follow_up_plan", "follow_up_schedule", "tariff_codes"):
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
