"""What the directory does: hospitals, physicians, programmes, and which destinations take requests."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.audit.operations import record_event
from backoffice.directory.models import Hospital, PausedDestination
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.geo import check_country, country_name


class DirectoryError(DomainError):
    pass


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


def resume_destination(country: str, *, actor_id: int | None) -> None:
    paused = db.session.get(PausedDestination, (country or "").upper())
    if paused is None:
        raise DirectoryError(f"Intake to {country_name(country)} is not paused.")
    db.session.delete(paused)
    db.session.flush()
    record_event("destination_resumed", actor_id=actor_id, object_type="country", object_id=paused.country)
