"""Who may open which page.

Every view declares its audience with one of the decorators below. `enforce_access` runs before every request and
refuses any endpoint that declares none, so a new page is closed until someone decides who may see it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

ADMIN = "admin"
COORDINATOR = "coordinator"
FINANCE = "finance"
PATIENT = "patient"
ROLES = (ADMIN, COORDINATOR, FINANCE, PATIENT)
STAFF_ROLES = (ADMIN, COORDINATOR, FINANCE)
ROLE_LABELS = {ADMIN: "Administrator", COORDINATOR: "Medical coordinator", FINANCE: "Finance", PATIENT: "Patient"}

# Who may read health data on a case (diagnosis, messages, notes, screening, records, reasons given).
HEALTH_DATA_ROLES = (ADMIN, COORDINATOR)

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


def may_see_health_data(role: str | None = None) -> bool:
    """Whether `role` (by default the signed-in user's) may read health data: finance reads costs, not reasons.

    Pages, their JSON and their templates ask this one question, so a reason hidden on a page is hidden everywhere.
    """
    if role is None:
        role = current_user.role if current_user.is_authenticated else None
    return role in HEALTH_DATA_ROLES


def audience_of(endpoint: str) -> str | tuple[str, ...] | None:
    return getattr(current_app.view_functions.get(endpoint), "access", None)
