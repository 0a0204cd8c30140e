"""Column types shared by every feature."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from backoffice.config import settings
from backoffice.money import Amount


def utcnow() -> datetime:
    return datetime.now(UTC)


def operator_today() -> date:
    """Today where the operator works (OPERATOR_TIMEZONE): an invoice issued or an offer accepted at 00:30 in
    Frankfurt is dated that day."""
    return datetime.now(ZoneInfo(settings().operator_timezone)).date()


class UTCDateTime(TypeDecorator):
    """A UTC instant: stored without zone (SQLite has none), always handed back timezone-aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing a naive datetime: pass a timezone-aware UTC instant")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def render_item(type_: str, obj, autogen_context):
    """Alembic autogenerate: write project column types as their plain SQLAlchemy equivalents.

    Migrations then never import application code, which may change after the migration is written.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    if type_ == "type" and isinstance(obj, Amount):
        return "sa.BigInteger()"
    return False
