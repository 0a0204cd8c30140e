"""Creating accounts, changing roles and page languages, deactivating and reactivating them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.auth.models import User, new_session_token
from backoffice.auth.operations import change_page_language, hash_password, normalise_email
from backoffice.auth.passwords import WeakPassword, check_new_password
from backoffice.auth.permissions import ADMIN, COORDINATOR, ROLE_LABELS, ROLES
from backoffice.cases.assignment import return_cases_to_queue
from backoffice.config import settings
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.pagination import Page, paginate
from backoffice.trail import record_event

PAGE_SIZE = 50


class AccountError(DomainError):
    pass


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such user."))
    return user


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    actor_id: int | None = None,
    must_change_password: bool = True,
) -> User:
    """Open an account. Emails are unique regardless of case; the password passes the password rule
    (auth.passwords). Whoever chose it for the person knows it, so the person must choose their own at the first
    sign-in, unless `must_change_password` is False (the person typed it themselves, or a documented demo login)."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not email or "@" not in email:
        raise AccountError(_("Enter a valid email address."))
    if not name:
        raise AccountError(_("Enter the person's name."))
    if role not in ROLES:
        raise AccountError(
            _("Unknown role %(role)s; choose one of %(roles)s.", role=repr(role), roles=", ".join(ROLES))
        )
    try:
        check_new_password(password, name=name, email=email, operator_name=settings().operator_name)
    except WeakPassword as error:
        raise AccountError(error.message) from None
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(_("There is already an account for %(email)s.", email=email))
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        active=True,
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    record_event(
        "user_created",
        actor_id=actor_id,
        object_type="user",
        object_id=user.id,
        details={"email": email, "role": role, "must_change_password": must_change_password},
    )
    return user


def _other_active_admins(user_id: int) -> int:
    """Locks the active administrators' rows (PostgreSQL) so that two admins demoting each other at once cannot
    both pass this check."""
    admins = db.session.scalars(
        select(User.id).where(User.role == ADMIN, User.active.is_(True)).with_for_update()
    ).all()
    return len([admin_id for admin_id in admins if admin_id != user_id])


def change_role(user_id: int, role: str, *, actor_id: int | None) -> User:
    """Give an account another role. The last active administrator keeps the role, so someone can always admin."""
    user = get_user(user_id)
    if role not in ROLES:
        raise AccountError(
            _("Unknown role %(role)s; choose one of %(roles)s.", role=repr(role), roles=", ".join(ROLES))
        )
    if role == user.role:
        raise AccountError(_("%(name)s already has the role %(role)s.", name=user.name, role=_(ROLE_LABELS[role])))
    if user.role == ADMIN and user.active and _other_active_admins(user.id) == 0:
        raise AccountError(_("This is the last active administrator; make someone else administrator first."))
    before = user.role
    user.role = role
    # Sessions opened under the old role end: the person signs in again and sees what the new role allows.
    user.session_token = new_session_token()
    returned = 0
    if before == COORDINATOR:
        returned = return_cases_to_queue(user.id, actor_id=actor_id, reason=f"{user.name} is no longer a coordinator")
    record_event(
        "role_changed",
        actor_id=actor_id,
        object_type="user",
        object_id=user.id,
        details={"from": before, "to": role, "cases_returned_to_queue": returned},
    )
    return user


def deactivate_user(user_id: int, *, actor_id: int | None) -> User:
    """Close an account: its sessions stop working at their next request. Nothing of its history is deleted."""
    user = get_user(user_id)
    if not user.active:
        raise AccountError(_("%(name)s's account is already deactivated.", name=user.name))
    if user.id == actor_id:
        raise AccountError(_("You cannot deactivate your own account."))
    if user.role == ADMIN and _other_active_admins(user.id) == 0:
        raise AccountError(_("This is the last active administrator; it cannot be deactivated."))
    user.active = False
    user.session_token = new_session_token()
    returned = 0
    if user.role == COORDINATOR:
        returned = return_cases_to_queue(user.id, actor_id=actor_id, reason=f"{user.name}'s account was deactivated")
    record_event(
        "user_deactivated",
        actor_id=actor_id,
        object_type="user",
        object_id=user.id,
        details={"cases_returned_to_queue": returned},
    )
    return user


def reactivate_user(user_id: int, *, actor_id: int | None) -> User:
    user = get_user(user_id)
    if user.active:
        raise AccountError(_("%(name)s's account is already active.", name=user.name))
    user.active = True
    record_event("user_reactivated", actor_id=actor_id, object_type="user", object_id=user.id)
    return user


def change_language(user_id: int, language: str | None, *, actor_id: int | None) -> User:
    """An administrator sets the language of a staff member's pages (the rule every account's choice follows, in
    `auth.operations.change_page_language`). A patient's language is their record's, set in the portal."""
    user = get_user(user_id)
    if not user.is_staff:
        raise AccountError(_("A patient chooses their language in the portal; it is kept on their patient record."))
    if language == user.language:
        raise AccountError(_("%(name)s's pages are in that language already.", name=user.name))
    return change_page_language(user.id, language, actor_id=actor_id)


def list_users(*, page: int = 1, role: str | None = None, search: str | None = None) -> Page[User]:
    """Accounts by name, filtered by role and a search on name or email."""
    query = select(User)
    if role in ROLES:
        query = query.where(User.role == role)
    if search and search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(func.lower(User.name).like(pattern) | User.email.like(pattern))
    return paginate(query, page=page, per_page=PAGE_SIZE, order_by=(User.name, User.id))
