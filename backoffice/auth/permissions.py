"""Who may open which page, and who may do what on it.

Every view declares its audience with one of the decorators below. `enforce_access` runs before every request and
refuses any endpoint that declares none, so a new page is closed until someone decides who may see it.

The audiences below say in the operator's words who does a kind of work; views declare them, and templates ask the
`may_*` questions built on the same audiences (registered as template globals by `backoffice.templating`), so a
link is shown exactly to those the page behind it lets in. No template compares roles itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from backoffice.languages import N_

ADMIN = "admin"
COORDINATOR = "coordinator"
FINANCE = "finance"
PATIENT = "patient"
ROLES = (ADMIN, COORDINATOR, FINANCE, PATIENT)
STAFF_ROLES = (ADMIN, COORDINATOR, FINANCE)
ROLE_LABELS = {
    ADMIN: N_("Administrator"),
    COORDINATOR: N_("Medical coordinator"),
    FINANCE: N_("Finance"),
    PATIENT: N_("Patient"),
}

# Who may read health data on a case (diagnosis, messages, notes, screening, records, medicines, reasons given).
HEALTH_DATA_READERS = (ADMIN, COORDINATOR)
# Who arranges a patient's care: bookings, itinerary, follow-ups, medicine orders, pharmacies, the calendar feed.
CARE_COORDINATORS = (ADMIN, COORDINATOR)
# Who audits hospital bills against the tariffs and reads what the audits saved.
BILL_AUDITORS = (ADMIN, FINANCE)
# Who invoices patients: drafts, issuing, payments, refunds, credit notes.
INVOICERS = (ADMIN, FINANCE)
# Who builds, sends and answers treatment offers for the patient (finance reads them).
OFFER_MAKERS = CARE_COORDINATORS
# Who takes an unassigned case for themself (administrators assign cases instead).
CASE_TAKERS = (COORDINATOR,)
# Who runs the office: user accounts, the audit log and access histories, background jobs; who clears a
# contraindication without a physician's clearance; who oversees every coordinator's follow-ups.
ADMINISTRATORS = (ADMIN,)
# Who watches the legal retention of records: the retention report and the records kept after a patient's erasure.
RECORD_KEEPERS = (ADMIN, FINANCE)

PUBLIC = "public"
ANY_USER = "any_user"

# Endpoints served by Flask itself.
_BUILTIN_PUBLIC = {"static"}


def _declare(view: Callable, audience: str | tuple[str, ...]) -> Callable:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        check_access(audience)
        return view(*args, **kwargs)

    wrapper.access = audience  # type: ignore[attr-defined]
    return wrapper


def public(view: Callable) -> Callable:
    """Anyone, signed in or not (login page, health check, the public request form)."""
    return _declare(view, PUBLIC)


def login_required(view: Callable) -> Callable:
    """Any signed-in user, whatever the role."""
    return _declare(view, ANY_USER)


def roles_required(*roles: str) -> Callable[[Callable], Callable]:
    """Signed-in users holding one of `roles`."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorator(view: Callable) -> Callable:
        return _declare(view, tuple(roles))

    return decorator


staff_required = roles_required(*STAFF_ROLES)
patient_required = roles_required(PATIENT)


def check_access(audience: str | tuple[str, ...]) -> None:
    """Abort unless the current user belongs to `audience`; the anonymous go to the login page."""
    if audience == PUBLIC:
        return
    if not current_user.is_authenticated:
        abort(redirect(url_for("auth.login", next=_safe_next())))
    if audience == ANY_USER:
        return
    if current_user.role not in audience:
        abort(403)


def _safe_next() -> str | None:
    if request.method != "GET":
        return None
    return request.full_path.rstrip("?") if request.path != "/" else None


def enforce_access() -> None:
    """Before every request: an endpoint without a declared audience is refused (deny by default)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in _BUILTIN_PUBLIC:
        return  # unknown URL: routing answers 404 itself
    view = current_app.view_functions.get(endpoint)
    audience = getattr(view, "access", None)
    if audience is None:
        current_app.logger.error("endpoint %s declares no audience; refused", endpoint)
        abort(403)
    check_access(audience)


def _signed_in_as(audience: tuple[str, ...], role: str | None) -> bool:
    """Whether `role` (by default the signed-in user's) belongs to `audience`."""
    if role is None:
        role = current_user.role if current_user.is_authenticated else None
    return role in audience


def may_see_health_data(role: str | None = None) -> bool:
    """Whether `role` (by default the signed-in user's) may read health data: finance reads costs, not reasons.

    Pages, their JSON and their templates ask this one question, so a reason hidden on a page is hidden everywhere.
    """
    return _signed_in_as(HEALTH_DATA_READERS, role)


def may_coordinate_care(role: str | None = None) -> bool:
    """Whether the user arranges patients' care: follow-ups, bookings, medicine orders, pharmacies, the calendar."""
    return _signed_in_as(CARE_COORDINATORS, role)


def may_audit_bills(role: str | None = None) -> bool:
    """Whether the user reviews hospital bills and reads the savings report."""
    return _signed_in_as(BILL_AUDITORS, role)


def may_invoice_patients(role: str | None = None) -> bool:
    """Whether the user issues invoices to patients and records their payments and refunds."""
    return _signed_in_as(INVOICERS, role)


def may_make_offers(role: str | None = None) -> bool:
    """Whether the user builds and sends a case's treatment offer and records the patient's answer received outside
    the portal."""
    return _signed_in_as(OFFER_MAKERS, role)


def may_take_cases(role: str | None = None) -> bool:
    """Whether the user may take an unassigned case for themself (coordinators; administrators assign instead)."""
    return _signed_in_as(CASE_TAKERS, role)


def may_manage_users(role: str | None = None) -> bool:
    """Whether the user creates accounts, changes roles and deactivates people."""
    return _signed_in_as(ADMINISTRATORS, role)


def may_handle_data_requests(role: str | None = None) -> bool:
    """Whether the user asks for, confirms (as the second person) and downloads a copy of a patient's data."""
    return _signed_in_as(ADMINISTRATORS, role)


def may_oversee_retention(role: str | None = None) -> bool:
    """Whether the user reads the retention report and the erased patients' restricted records."""
    return _signed_in_as(RECORD_KEEPERS, role)


def may_read_audit_log(role: str | None = None) -> bool:
    """Whether the user reads the audit log."""
    return _signed_in_as(ADMINISTRATORS, role)


def may_see_access_history(role: str | None = None) -> bool:
    """Who reads a case's access history: who read it, who was refused (the case page links to it for them only)."""
    return _signed_in_as(ADMINISTRATORS, role)


def may_manage_jobs(role: str | None = None) -> bool:
    """Whether the user watches background jobs and requeues failed ones."""
    return _signed_in_as(ADMINISTRATORS, role)


def may_read_caught_mail(role: str | None = None) -> bool:
    """Whether the user reads the mail `make run`'s catcher caught (the page exists in development only)."""
    return _signed_in_as(ADMINISTRATORS, role)


def may_waive_clearance(role: str | None = None) -> bool:
    """Whether the user may clear a contraindication without a physician's clearance document (on their own word)."""
    return _signed_in_as(ADMINISTRATORS, role)


def may_oversee_all_follow_ups(role: str | None = None) -> bool:
    """Whether the user watches every coordinator's follow-ups rather than those of their own cases."""
    return _signed_in_as(ADMINISTRATORS, role)


# The questions templates may ask (backoffice.templating registers them as globals under their own names).
TEMPLATE_QUESTIONS = (
    may_see_health_data,
    may_coordinate_care,
    may_audit_bills,
    may_invoice_patients,
    may_take_cases,
    may_manage_users,
    may_handle_data_requests,
    may_oversee_retention,
    may_read_audit_log,
    may_see_access_history,
    may_manage_jobs,
    may_read_caught_mail,
    may_waive_clearance,
    may_oversee_all_follow_ups,
    may_make_offers,
)


def audience_of(endpoint: str) -> str | tuple[str, ...] | None:
    return getattr(current_app.view_functions.get(endpoint), "access", None)
