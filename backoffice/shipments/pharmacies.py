"""The pharmacy directory: the pharmacies abroad the operator buys medicines from, and the provider that reaches each.

Administrators add and change pharmacies; coordinators read the directory and choose from its active pharmacies
when they write an order. Every change writes an audit row naming what changed (before and after) and flushes; the
request commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from backoffice import validators
from backoffice.config import settings
from backoffice.directory import values
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.jobs.runner import PermanentJobError
from backoffice.pagination import Page, paginate
from backoffice.shipments import providers
from backoffice.shipments.models import MedicineOrder, Pharmacy
from backoffice.trail import record_event

PAGE_SIZE = 50
# Orders whose jobs talk to the pharmacy's provider now: its provider must not change under them.
IN_FLIGHT = ("submitted", "purchased", "packed", "shipped")


class PharmacyError(DomainError):
    """A pharmacy-directory rule refused the change; the message says which."""


def configured_providers() -> list[str]:
    """The pharmacy providers configured (PHARMACY_PROVIDERS); the sandbox unless a real one is plugged in."""
    return list(settings().pharmacy_providers)


def provider_label(provider: str) -> str:
    """The provider's name for people ("Sandbox pharmacy (test mode)"); its code when it is not configured."""
    try:
        return _(providers.pharmacy_for(provider).label)
    except PermanentJobError:
        return _("%(provider)s (not configured)", provider=provider)


def is_sandbox(provider: str) -> bool:
    """Whether orders at a pharmacy with this provider are test mode (nothing is really bought or shipped)."""
    if provider == "sandbox":
        return True
    try:
        return bool(providers.pharmacy_for(provider).sandbox)
    except PermanentJobError:
        return False


def provider_choices() -> list[tuple[str, str]]:
    return [(provider, provider_label(provider)) for provider in configured_providers()]


def get_pharmacy(pharmacy_id: int) -> Pharmacy:
    pharmacy = db.session.get(Pharmacy, pharmacy_id)
    if pharmacy is None:
        raise NotFound(_("There is no such pharmacy."))
    return pharmacy


def list_pharmacies(*, page: int = 1) -> Page[Pharmacy]:
    """Active pharmacies first, then by country and name."""
    return paginate(
        select(Pharmacy),
        page=page,
        per_page=PAGE_SIZE,
        order_by=(Pharmacy.active.desc(), Pharmacy.country, Pharmacy.name, Pharmacy.id),
    )


def _values(
    *,
    name: str,
    country: str,
    city: str = "",
    address: str = "",
    email: str = "",
    phone: str = "",
    provider: str = "sandbox",
    cold_chain: bool = False,
    active: bool = True,
) -> dict:
    fields = {
        "name": validators.text(name, _("pharmacy's name"), 200, required=True, error=PharmacyError),
        "country": validators.country(country, error=PharmacyError),
        "city": validators.text(city, _("city"), 100, error=PharmacyError),
        "address": validators.text(address, _("address"), 1000, error=PharmacyError),
        "email": validators.email(email, _("email"), error=PharmacyError),
        "phone": validators.phone(phone, _("contact phone"), error=PharmacyError),
    }
    if provider not in configured_providers():
        raise PharmacyError(
            _("Choose the provider from the list (%(providers)s).", providers=", ".join(configured_providers()))
        )
    return {**fields, "provider": provider, "cold_chain": bool(cold_chain), "active": bool(active)}


def _check_name_free(name: str, city: str, pharmacy_id: int | None = None) -> None:
    query = select(Pharmacy.id).where(
        func.lower(Pharmacy.name) == name.lower(), func.lower(Pharmacy.city) == city.lower()
    )
    if pharmacy_id is not None:
        query = query.where(Pharmacy.id != pharmacy_id)
    if db.session.scalar(query.limit(1)) is not None:
        place = ", ".join(part for part in (name, city) if part)
        raise PharmacyError(_("%(pharmacy)s is already in the directory.", pharmacy=place))


def create_pharmacy(*, actor_id: int | None, **fields) -> Pharmacy:
    """Add a pharmacy. Its name is unique within its city; country, email and phone are checked."""
    checked = _values(**fields)
    _check_name_free(checked["name"], checked["city"])
    pharmacy = Pharmacy(**checked)
    db.session.add(pharmacy)
    db.session.flush()
    record_event(
        "pharmacy_created",
        actor_id=actor_id,
        object_type="pharmacy",
        object_id=pharmacy.id,
        details={"name": pharmacy.name, "country": pharmacy.country, "provider": pharmacy.provider},
    )
    return pharmacy


def update_pharmacy(pharmacy_id: int, *, actor_id: int | None, **fields) -> Pharmacy:
    """Change a pharmacy. Its provider stays while orders there are on their way (their jobs call it); a
    deactivated pharmacy is no longer offered for new orders, and its drafts must choose another."""
    pharmacy = get_pharmacy(pharmacy_id)
    checked = _values(**fields)
    _check_name_free(checked["name"], checked["city"], pharmacy.id)
    if checked["provider"] != pharmacy.provider:
        in_flight = db.session.scalar(
            select(func.count())
            .select_from(MedicineOrder)
            .where(MedicineOrder.pharmacy_id == pharmacy.id, MedicineOrder.status.in_(IN_FLIGHT))
        )
        if in_flight:
            raise PharmacyError(
                ngettext(
                    "%(pharmacy)s has %(num)d order on the way: "
                    "its provider changes once they are delivered, failed or cancelled.",
                    "%(pharmacy)s has %(num)d orders on the way: "
                    "its provider changes once they are delivered, failed or cancelled.",
                    in_flight,
                    pharmacy=pharmacy.name,
                )
            )
    changes = values.apply_changes(pharmacy, checked)
    if changes:
        db.session.flush()
        record_event(
            "pharmacy_updated", actor_id=actor_id, object_type="pharmacy", object_id=pharmacy.id, details=changes
        )
    return pharmacy
