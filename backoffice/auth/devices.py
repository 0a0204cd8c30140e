"""Known devices: a signed cookie, set at each successful sign-in, naming the accounts that signed in from this browser.

The per-account sign-in limit counts only attempts from unknown browsers (and addresses), so strangers guessing an
account's password from many addresses block each other, not the account's owner. The cookie proves nothing by
itself: it skips one limit, the password is still checked, and the per-address limits still apply.
"""

from __future__ import annotations

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from backoffice.config import settings

MAX_ACCOUNTS = 5  # a shared computer remembers the last few accounts, not everyone who ever signed in there


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def cookie_name() -> str:
    # Same rule as the session cookie: __Host- (Secure, Path=/, no Domain) wherever the session cookie is Secure.
    return "__Host-known_device" if settings().session_cookie_secure else "backoffice_known_device"


def known_user_ids() -> list[int]:
    """The accounts this browser signed in to within KNOWN_DEVICE_LIFETIME; [] for a missing or forged cookie."""
    raw = request.cookies.get(cookie_name())
    if not raw:
        return []
    max_age = int(settings().known_device_lifetime.total_seconds())
    try:
        ids = _serializer().loads(raw, max_age=max_age)
    except BadSignature:
        return []
    return [value for value in ids if isinstance(value, int)] if isinstance(ids, list) else []


def remember_device(response: Response, user_id: int) -> Response:
    """Add `user_id` to this browser's known accounts (most recent first) and renew the cookie."""
    ids = [user_id, *(value for value in known_user_ids() if value != user_id)][:MAX_ACCOUNTS]
    response.set_cookie(
        cookie_name(),
        _serializer().dumps(ids),
        max_age=int(settings().known_device_lifetime.total_seconds()),
        path="/",
        secure=settings().session_cookie_secure,
        httponly=True,
        samesite="Lax",
    )
    return response
