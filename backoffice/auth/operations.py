"""Signing in and out, and the throttle that slows down password guessing."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from backoffice.audit.operations import record_event
from backoffice.auth.models import LoginAttempt, User, new_session_token
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db

MIN_PASSWORD_LENGTH = 12
_dummy_hashes: dict[str, str] = {}


class InvalidCredentials(DomainError):
    status_code = 401

    def __init__(self):
        super().__init__("The email or password is not correct.")


class LoginThrottled(DomainError):
    status_code = 429

    def __init__(self, retry_after: timedelta):
        minutes = max(1, -(-int(retry_after.total_seconds()) // 60))
        super().__init__(
            f"Too many failed sign-in attempts. Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."
        )
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    """Checked against when the email is unknown, so that both failures take the same time."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not-a-real-password", method=method)
    return _dummy_hashes[method]


def check_throttle(email: str, remote_addr: str, now: datetime | None = None) -> None:
    """Refuse a sign-in while recent failures exceed a limit.

    Limits apply per account and address pair (the usual guessing), per address (one source trying many accounts)
    and per account (many sources on one account, set high so a real user is not shut out by strangers). Failures
    count only inside a sliding window, so every block ends by itself.
    """
    config = current_app.config
    now = now or utcnow()
    since = now - config["LOGIN_THROTTLE_WINDOW"]
    failures = select(func.count(), func.min(LoginAttempt.attempted_at)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since
    )
    checks = (
        (
            failures.where(LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr),
            config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"],
        ),
        (failures.where(LoginAttempt.remote_addr == remote_addr), config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
        (failures.where(LoginAttempt.email == email), config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
    )
    for query, limit in checks:
        count, oldest = db.session.execute(query).one()
        if count >= limit:
            raise LoginThrottled(retry_after=oldest + config["LOGIN_THROTTLE_WINDOW"] - now)


def authenticate(email: str, password: str, remote_addr: str) -> User:
    """Return the active user with these credentials, or raise.

    The same message for an unknown email, a wrong password and a deactivated account, so the form does not tell
    which emails have accounts. Every attempt is recorded; the caller commits even when this raises.
    """
    email = normalise_email(email)
    remote_addr = remote_addr or "unknown"
    try:
        check_throttle(email, remote_addr)
    except LoginThrottled:
        record_event("login_throttled", details={"email": email}, remote_addr=remote_addr)
        raise
    user = db.session.scalar(select(User).where(User.email == email))
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    succeeded = bool(user and password_ok and user.active)
    db.session.add(LoginAttempt(email=email, remote_addr=remote_addr, succeeded=succeeded))
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
    user.last_login_at = utcnow()
    record_event("login", actor_id=user.id, object_type="user", object_id=user.id, remote_addr=remote_addr)
    return user


def end_session(user_id: int, reason: str = "logout") -> None:
    """Sign a user out everywhere: the session token in every cookie of theirs stops matching."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    user.session_token = new_session_token()
    record_event(reason, actor_id=user.id, object_type="user", object_id=user.id)


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id and session token from the cookie must match an active user."""
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user
