"""Test client helpers: CSRF tokens as a browser would have them, signing in as a user, reading a page, changing a
setting."""

from __future__ import annotations

import contextvars
import hashlib
import html
import os

from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from backoffice.config import settings
from tests.factories import PASSWORD

# The least production starts with (the shared services it refuses to start without), for tests of production's rules.
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "DATABASE_URL": "postgresql://app@db.internal/backoffice",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "SMTP_URL": "smtp://app:secret@mail.internal:587",
    "PUBLIC_URL": "https://office.example",
}


class BackofficeClient(FlaskClient):
    """A test client that behaves like a browser against a server.

    Each request runs outside the test's own app context, so it gets its own app context, `g`, current user and
    database session, as in production. `post` sends a valid CSRF token unless told `csrf=False`.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf:
            data = dict(kwargs.pop("data", None) or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


def login_as(client: BackofficeClient, user, password: str = PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, f"login as {user.email} failed: {response.status_code}"
    return response


def page_text(response) -> str:
    """What a person reads on the page: its text with the HTML entities resolved. Fails on a 5xx."""
    assert response.status_code < 500, response.status_code
    return html.unescape(response.get_data(as_text=True))


def delete_all_rows() -> None:
    """Every row of every table gone (ids restart on PostgreSQL), as after each test. Table names are the models'.

    Only the tables holding rows are emptied (one probe finds them): most tests touch a few of them, and emptying
    all of them after each test was a tenth of the suite's time on PostgreSQL.
    """
    from sqlalchemy import text

    from backoffice.extensions import db

    # Table names are the models' own (never anything typed in), quoted by the dialect; each probe row is a name.
    tables = db.metadata.sorted_tables
    quote = db.engine.dialect.identifier_preparer.quote
    probe = " UNION ALL ".join(
        f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {quote(table.name)})" for index, table in enumerate(tables)
    )
    with db.engine.begin() as connection:
        holding = {tables[index].name for (index,) in connection.execute(text(probe))}
        if connection.dialect.name == "postgresql":
            if holding:
                names = ", ".join(quote(table.name) for table in tables if table.name in holding)
                connection.execute(text(f"TRUNCATE {names} CASCADE"))
            # A sequence moves on even when its insert was rolled back: every one that was used starts again.
            used = (
                connection.execute(
                    text("SELECT schemaname || '.' || sequencename FROM pg_sequences WHERE last_value IS NOT NULL")
                )
                .scalars()
                .all()
            )
            for sequence in used:
                connection.execute(text("SELECT setval(:sequence, 1, false)"), {"sequence": sequence})
        else:
            for table in reversed(tables):
                if table.name in holding:
                    connection.execute(table.delete())


def change_settings(monkeypatch, app, **changes) -> None:
    """For one test, `app` runs with these settings changed (`vat_rate="7"`: a text is read as its variable)."""
    monkeypatch.setitem(app.extensions, "settings", settings(app).replace(**changes))
