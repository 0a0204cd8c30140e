"""What the directory does: hospitals, physicians, and which destinations take requests.

Admins and coordinators maintain the directory. Every change writes an audit row naming the fields that changed
(before and after), and flushes; the request or CLI command that called commits. Programmes live in
`directory.programmes`, the checks of typed values in `directory.values`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from backoffice import validators
from backoffice.activation import set_active
from backoffice.auth.models import User
from backoffice.directory import values
from backoffice.directory.models import Hospital, PausedDestination, Physician, Programme
from backoffice.directory.values import DirectoryError
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.geo import check_country, country_name
from backoffice.languages import page_language
from backoffice.pagination import Page, paginate
from backoffice.trail import record_event

PAGE_SIZE = 50


# ---------------------------------------------------------------------------------------------- hospitals


def get_hospital(hospital_id: int) -> Hospital:
    """A hospital with its physicians and programmes loaded; 404 when there is none."""
    hospital = db.session.scalar(
        select(Hospital)
        .where(Hospital.id == hospital_id)
        .options(selectinload(Hospital.physicians), selectinload(Hospital.programmes))
    )
    if hospital is None:
        raise NotFound(_("There is no such hospital."))
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
    foreign_coefficient: Decimal | str | None,
    foreign_coefficient_source: str,
    vat_id: str,
) -> dict[str, Any]:
    coefficient, source = values.foreign_coefficient(foreign_coefficient, foreign_coefficient_source)
    return {
        "name": validators.text(name, _("hospital name"), 200, required=True, error=DirectoryError),
        "city": validators.text(city, _("city"), 100, required=True, error=DirectoryError),
        "country": validators.country(country, error=DirectoryError),
        "languages": validators.languages(languages, error=DirectoryError),
        "timezone": validators.timezone(timezone, _("hospital's time zone"), error=DirectoryError),
        "address": validators.text(address, _("address"), 300, error=DirectoryError),
        "contact_name": validators.text(contact_name, _("contact name"), 120, error=DirectoryError),
        "contact_email": validators.email(contact_email, _("contact email"), error=DirectoryError),
        "contact_phone": validators.phone(contact_phone, _("contact phone"), error=DirectoryError),
        "foreign_coefficient": coefficient,
        "foreign_coefficient_source": source,
        "vat_id": values.vat_id(vat_id),
    }


def _check_code_free(code: str, hospital_id: int | None = None) -> None:
    query = select(Hospital.name).where(Hospital.code == code)
    if hospital_id is not None:
        query = query.where(Hospital.id != hospital_id)
    holder = db.session.scalar(query)
    if holder is not None:
        raise DirectoryError(_("The code %(code)s is already used by %(holder)s.", code=code, holder=holder))


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
    foreign_coefficient: Decimal | str | None = None,
    foreign_coefficient_source: str = "",
    vat_id: str = "",
    actor_id: int | None = None,
) -> Hospital:
    """Add a hospital. Its code (such as FRA-ABM) is unique; country, languages and time zone are checked, and a
    foreign-patient coefficient (1 to 5) needs its source."""
    code = values.code(code)
    fields = _hospital_values(
        name=name,
        city=city,
        country=country,
        languages=languages,
        timezone=timezone,
        address=address,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        foreign_coefficient=foreign_coefficient,
        foreign_coefficient_source=foreign_coefficient_source,
        vat_id=vat_id,
    )
    _check_code_free(code)
    hospital = Hospital(code=code, active=True, **fields)
    db.session.add(hospital)
    values.flush_unique(_("The code %(code)s is already used by another hospital.", code=code))
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
    foreign_coefficient: Decimal | str | None = None,
    foreign_coefficient_source: str = "",
    vat_id: str = "",
    actor_id: int | None,
) -> Hospital:
    """Change a hospital's details; the code stays unique, a foreign-patient coefficient (1 to 5) needs its source.
    Only what changed is recorded."""
    hospital = get_hospital(hospital_id)
    code = values.code(code)
    fields = _hospital_values(
        name=name,
        city=city,
        country=country,
        languages=languages,
        timezone=timezone,
        address=address,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        foreign_coefficient=foreign_coefficient,
        foreign_coefficient_source=foreign_coefficient_source,
        vat_id=vat_id,
    )
    _check_code_free(code, hospital.id)
    changes = values.apply_changes(hospital, {"code": code, **fields})
    if changes:
        values.flush_unique(_("The code %(code)s is already used by another hospital.", code=code))
        record_event(
            "hospital_updated", actor_id=actor_id, object_type="hospital", object_id=hospital.id, details=changes
        )
    return hospital


def deactivate_hospital(hospital_id: int, *, actor_id: int | None) -> Hospital:
    """Take a hospital out of use: it is no longer offered, and a country with no active hospital is not open."""
    hospital = get_hospital(hospital_id)
    set_active(hospital, False, object_type="hospital", actor_id=actor_id, error=DirectoryError)
    return hospital


def reactivate_hospital(hospital_id: int, *, actor_id: int | None) -> Hospital:
    hospital = get_hospital(hospital_id)
    set_active(hospital, True, object_type="hospital", actor_id=actor_id, error=DirectoryError)
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
        raise NotFound(_("There is no such physician."))
    return physician


def _physician_values(
    *, name: str, specialty: str, languages: Sequence[str] | str, email: str, phone: str
) -> dict[str, Any]:
    return {
        "name": validators.text(name, _("physician's name"), 120, required=True, error=DirectoryError),
        "specialty": validators.text(specialty, _("specialty"), 120, required=True, error=DirectoryError),
        "languages": validators.languages(languages, error=DirectoryError),
        "email": validators.email(email, _("physician's email"), error=DirectoryError),
        "phone": validators.phone(phone, _("physician's phone"), error=DirectoryError),
    }


def create_physician(
    hospital_id: int,
    *,
    name: str,
    specialty: str,
    languages: Sequence[str] | str = (),
    email: str = "",
    phone: str = "",
    actor_id: int | None = None,
) -> Physician:
    """Add a physician to a hospital. A physician belongs to exactly one active hospital."""
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound(_("There is no such hospital."))
    if not hospital.active:
        raise DirectoryError(
            _("%(hospital)s is deactivated; reactivate it before adding physicians.", hospital=hospital.name)
        )
    fields = _physician_values(name=name, specialty=specialty, languages=languages, email=email, phone=phone)
    physician = Physician(hospital_id=hospital.id, active=True, **fields)
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
    phone: str = "",
    active: bool = True,
    actor_id: int | None,
) -> Physician:
    """Change a physician's details. The hospital stays: cases name the physician with the hospital."""
    physician = get_physician(physician_id)
    fields = _physician_values(name=name, specialty=specialty, languages=languages, email=email, phone=phone)
    changes = values.apply_changes(physician, {**fields, "active": bool(active)})
    if changes:
        db.session.flush()
        record_event(
            "physician_updated", actor_id=actor_id, object_type="physician", object_id=physician.id, details=changes
        )
    return physician


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
        raise DirectoryError(
            _("Intake to %(country)s is already paused.", country=country_name(country, page_language()))
        )
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
        raise DirectoryError(_("Intake to %(country)s is not paused.", country=country_name(country, page_language())))
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
