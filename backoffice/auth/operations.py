"""Signing in and out, changing one's own password, and the throttle that slows down password guessing."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from backoffice.auth.models import LoginAttempt, User, new_session_token
from backoffice.auth.passwords import WeakPassword, check_new_password
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.languages import STAFF_LANGUAGES
from backoffice.trail import AuditEvent, record_event

ACCOUNT_ATTACKED = "login_account_attacked"
_dummy_hashes: dict[str, str] = {}


class InvalidCredentials(DomainError):
    status_code = 401

    def __init__(self):
        super().__init__(_("The email or password is not correct."))


class WrongCurrentPassword(DomainError):
    status_code = 422

    def __init__(self):
        super().__init__(_("Your current password is not correct."))


class LoginThrottled(DomainError):
    status_code = 429

    def __init__(self, retry_after: timedelta):
        minutes = max(1, -(-int(retry_after.total_seconds()) // 60))
        super().__init__(
            ngettext(
                "Too many failed sign-in attempts. Wait %(num)d minute and try again.",
                "Too many failed sign-in attempts. Wait %(num)d minutes and try again.",
                minutes,
            )
        )
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=settings().password_hash_method)


def _dummy_hash() -> str:
    """Checked against when the email is unknown, so that both failures take the same time."""
    method = settings().password_hash_method
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not-a-real-password", method=method)
    return _dummy_hashes[method]


def _failures(email: str, remote_addr: str, now: datetime) -> dict[str, tuple[int, datetime | None]]:
    """Failed (or not yet decided) attempts in the window: per account and address, per address, and per account
    from unknown devices only."""
    since = now - settings().login_throttle_window
    failures = select(func.count(), func.min(LoginAttempt.attempted_at)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since
    )
    scopes = {
        "account_and_address": failures.where(LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr),
        "address": failures.where(LoginAttempt.remote_addr == remote_addr),
        "account": failures.where(LoginAttempt.email == email, LoginAttempt.known_device.is_(False)),
    }
    return {scope: tuple(db.session.execute(query).one()) for scope, query in scopes.items()}


def _is_known_device(user: User | None, remote_addr: str, known_user_ids: list[int], now: datetime) -> bool:
    """This browser signed in to the account before (its cookie says so), or this address did, recently."""
    if user is None:
        return False
    if user.id in known_user_ids:
        return True
    since = now - settings().known_device_lifetime
    return (
        db.session.scalar(
            select(LoginAttempt.id)
            .where(
                LoginAttempt.email == user.email,
                LoginAttempt.remote_addr == remote_addr,
                LoginAttempt.succeeded.is_(True),
                LoginAttempt.attempted_at > since,
            )
            .limit(1)
        )
        is not None
    )


def _count_attempt(user: User | None, email: str, remote_addr: str, known_user_ids: list[int]) -> LoginAttempt:
    """Store the attempt as a failure and commit it, then refuse it if it is over a limit (LoginThrottled).

    Counted before the password is checked, and after the attempt is committed: of many attempts at once, in any
    number of workers and on either database, the k-th to commit sees at least k attempts, so no more than the
    limit ever reach the (slow) password check. A refused attempt is removed again: only checked passwords count,
    so a blocked person who keeps trying does not push the end of the block further away.
    """
    now = utcnow()
    known = _is_known_device(user, remote_addr, known_user_ids, now)
    attempt = LoginAttempt(email=email, remote_addr=remote_addr, succeeded=False, known_device=known, attempted_at=now)
    db.session.add(attempt)
    db.session.commit()
    config = settings()
    counts = _failures(email, remote_addr, now)
    limits = {
        "account_and_address": config.login_max_failures_per_account_and_address,
        "address": config.login_max_failures_per_address,
        "account": None if known else config.login_max_failures_per_account,
    }
    if user is not None and counts["account"][0] >= config.login_max_failures_per_account:
        _alert_admins_once(user, counts["account"][0], now)
    for scope, limit in limits.items():
        count, oldest = counts[scope]
        if limit is not None and count > limit:
            db.session.delete(attempt)
            on_account = scope == "account" and user is not None
            record_event(
                "login_throttled",
                object_type="user" if on_account else None,
                object_id=user.id if on_account else None,
                details={"email": email, "limit": scope},
                remote_addr=remote_addr,
            )
            raise LoginThrottled(retry_after=max(oldest + config.login_throttle_window - now, timedelta(seconds=1)))
    return attempt


def _alert_admins_once(user: User, failures: int, now: datetime) -> None:
    """One audit row per wave of guessing at an account from unknown devices (shown on the admins' dashboard): a
    wave goes on while the account's limit refused someone, or was reported, within the last window."""
    since = now - settings().login_throttle_window
    ongoing = db.session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.action.in_(("login_throttled", ACCOUNT_ATTACKED)),
            AuditEvent.object_type == "user",
            AuditEvent.object_id == str(user.id),
            AuditEvent.occurred_at > since,
        )
        .limit(1)
    )
    if ongoing is None:
        window = int(settings().login_throttle_window.total_seconds() // 60)
        record_event(
            ACCOUNT_ATTACKED,
            object_type="user",
            object_id=user.id,
            details={"email": user.email, "failures": failures, "window_minutes": window},
        )


def accounts_under_attack(since: datetime) -> list[AuditEvent]:
    """The waves of password guessing reported since `since`, newest first, for the administrators' dashboard."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == ACCOUNT_ATTACKED, AuditEvent.occurred_at > since)
            .order_by(AuditEvent.occurred_at.desc())
            .limit(20)
        )
    )


def authenticate(email: str, password: str, remote_addr: str, known_user_ids: list[int] | None = None) -> User:
    """Return the active user with these credentials, or raise.

    The same message for an unknown email, a wrong password and a deactivated account, so the form does not tell
    which emails have accounts. Every attempt is counted (and committed) before the password is checked; the caller
    commits the outcome even when this raises. `known_user_ids` are the accounts this browser signed in to before.
    """
    email = normalise_email(email)
    remote_addr = remote_addr or "unknown"
    user = db.session.scalar(select(User).where(User.email == email))
    attempt = _count_attempt(user, email, remote_addr, known_user_ids or [])
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    succeeded = bool(user and password_ok and user.active)
    if not succeeded:
        reason = "unknown_email" if user is None else ("inactive" if password_ok else "wrong_password")
        record_event(
            "login_failed",
            actor_id=user.id if user else None,
            object_type="user" if user else None,
            object_id=user.id if user else None,
            details={"email": email, "reason": reason},
            remote_addr=remote_addr,
        )
        raise InvalidCredentials()
    attempt.succeeded = True
    user.last_login_at = utcnow()
    record_event("login", actor_id=user.id, object_type="user", object_id=user.id, remote_addr=remote_addr)
    return user


def change_password(user_id: int, current_password: str, new_password: str, remote_addr: str) -> User:
    """A person replaces their own password; returns the account.

    The current password is checked as a sign-in attempt is (counted first, the same limits), the new one by the
    password rule. Every other session of the account ends; the caller signs the current one in again.
    """
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidCredentials()
    remote_addr = remote_addr or "unknown"
    attempt = _count_attempt(user, user.email, remote_addr, [user.id])
    if not check_password_hash(user.password_hash, current_password or ""):
        record_event(
            "password_change_failed",
            actor_id=user.id,
            object_type="user",
            object_id=user.id,
            details={"reason": "wrong_current_password"},
            remote_addr=remote_addr,
        )
        raise WrongCurrentPassword()
    attempt.succeeded = True
    if check_password_hash(user.password_hash, new_password or ""):
        raise WeakPassword(_("The new password must differ from the current one."))
    check_new_password(new_password, name=user.name, email=user.email, operator_name=settings().operator_name)
    set_password(user, new_password)
    record_event("password_changed", actor_id=user.id, object_type="user", object_id=user.id, remote_addr=remote_addr)
    return user


class LanguageRefused(DomainError):
    status_code = 422


def change_page_language(
    user_id: int, code: str | None, *, actor_id: int | None = None, remote_addr: str | None = None
) -> User:
    """The language of a staff member's pages (English or German; None: whatever the browser asks for), chosen by
    the staff member (`actor_id` None: themselves) or an administrator. Audited with before and after; flushes."""
    if code is not None and code not in STAFF_LANGUAGES:
        raise LanguageRefused(_("Choose English, German or the browser's language."))
    user = db.session.get(User, user_id)
    if user is None or not user.is_staff:
        raise LanguageRefused(_("A patient chooses their language in the portal; it is kept on their patient record."))
    before, user.language = user.language, code
    db.session.flush()
    record_event(
        "user_language_changed",
        actor_id=user_id if actor_id is None else actor_id,
        object_type="user",
        object_id=user.id,
        details={"from": before, "to": code},
        remote_addr=remote_addr,
    )
    return user


def set_password(user: User, password: str, *, chosen_by_owner: bool = True) -> None:
    """Store a new password (already checked); every session of the account ends. One an administrator chose must
    be changed at the next sign-in."""
    user.password_hash = hash_password(password)
    user.must_change_password = not chosen_by_owner
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()


def end_session(user_id: int, reason: str = "logout") -> None:
    """Sign a user out everywhere: the session token in every cookie of theirs stops matching."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    user.session_token = new_session_token()
    record_event(reason, actor_id=user.id, object_type="user", object_id=user.id)


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id and session token from the cookie must match an active user."""
    user_id, _colon, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user
