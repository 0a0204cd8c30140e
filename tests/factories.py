"""Rows for tests, built directly (no audit events, no side effects) and flushed, not committed."""

from __future__ import annotations

import itertools

from backoffice.auth.models import User
from backoffice.auth.operations import hash_password
from backoffice.extensions import db

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def make_user(
    role: str = "coordinator",
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    n = next(_sequence)
    user = User(
        email=email or f"user{n}@test.example",
        name=name or f"Test User {n}",
        role=role,
        password_hash=hash_password(password),
        active=active,
    )
    db.session.add(user)
    db.session.flush()
    return user
