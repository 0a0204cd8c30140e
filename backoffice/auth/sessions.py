"""Session rules every signed-in request passes: the user loader, the idle timeout, the absolute lifetime, and the
change of a password someone else chose before anything else."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, logout_user

from backoffice import languages
from backoffice.auth import operations
from backoffice.config import settings
from backoffice.extensions import db, login_manager
from backoffice.languages import N_


def home_for(user) -> str:
    return url_for("portal.index") if user.is_patient else url_for("dashboard.index")


def safe_next_url(target: str | None, user) -> str:
    """Only a path on this site (no scheme, host or `//`), and patients only into the portal."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return home_for(user)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or (user.is_patient and not parts.path.startswith("/portal")):
        return home_for(user)
    return target


def idle_limit_seconds(user) -> float:
    timeout = settings().idle_timeout_patient if user.is_patient else settings().idle_timeout_staff
    return timeout.total_seconds()


def mark_seen() -> None:
    session["seen_at"] = time.time()


def clear_session() -> None:
    """Forget everything of the session but the language of the visit: the sign-in page that follows a sign-out
    speaks the language the person just read (a patient's saved one included), and so does its message."""
    language = languages.page_language()  # decided once per request: before the sign-out, it is the person's
    session.clear()
    session[languages.SESSION_KEY] = language


def sign_out() -> None:
    """End this browser's sign-in (the caller ends the account's sessions, if it should); the language stays."""
    languages.page_language()
    logout_user()
    clear_session()


def mark_signed_in() -> None:
    session["signed_in_at"] = time.time()
    mark_seen()


def expire_idle_session():
    """Sign out a session idle longer than the limit for its role, or older than SESSION_ABSOLUTE_HOURS however
    active (a session without its sign-in time predates that rule and ends too)."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = time.time()
    seen_at = session.get("seen_at", now)
    limit = idle_limit_seconds(current_user)
    lifetime = settings().session_absolute_lifetime.total_seconds()
    if now - session.get("signed_in_at", 0) > lifetime:
        hours = int(lifetime // 3600)
        return _sign_out(
            "logout_expired",
            ngettext(
                "You were signed out %(num)d hour after signing in. Please sign in again.",
                "You were signed out %(num)d hours after signing in. Please sign in again.",
                hours,
            ),
        )
    if now - seen_at > limit:
        minutes = int(limit // 60)
        return _sign_out(
            "logout_idle",
            ngettext(
                "You were signed out after %(num)d minute without activity. Please sign in again.",
                "You were signed out after %(num)d minutes without activity. Please sign in again.",
                minutes,
            ),
        )
    mark_seen()
    return None


def _sign_out(reason: str, message: str):
    operations.end_session(current_user.id, reason=reason)
    db.session.commit()
    sign_out()
    flash(message, "info")
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=next_url))


# What a person whose password someone else chose may reach before choosing their own.
_BEFORE_OWN_PASSWORD = {"auth.change_password", "auth.logout", "static"}


def require_own_password():
    """An account opened with an administrator's password reaches nothing but the change-password page (and
    sign-out) until its owner has chosen a password only they know."""
    if request.endpoint in _BEFORE_OWN_PASSWORD or not current_user.is_authenticated:
        return None
    if current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


def register_sessions(app: Flask) -> None:
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please sign in to see this page.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.user_loader(operations.load_session_user)
    app.before_request(expire_idle_session)
    app.before_request(require_own_password)
