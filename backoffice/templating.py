"""Jinja filters: instants shown in the operator's time zone with the zone's abbreviation, roles with their labels;
the permission questions templates ask (`may_see_health_data()`...), all registered here. Money, days, numbers,
countries and languages are written the way the page's language writes them (Babel, `languages.page_language`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, has_app_context

from backoffice.config import default_of, settings
from backoffice.geo import country_name, language_name
from backoffice.languages import page_language
from backoffice.money import format_money


def operator_timezone() -> str:
    """Where the staff work (OPERATOR_TIMEZONE): the zone every staff time is shown in (its default outside an app)."""
    return settings().operator_timezone if has_app_context() else default_of("operator_timezone")


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M", tz_name: str | None = None) -> str:
    """'2026-12-06 09:15 CET': a stored UTC instant in the operator's time zone (or `tz_name`), labelled with the
    zone's abbreviation, so nobody reads a UTC time as their own. Flights, appointments and transfers are shown in
    their own place's time instead (logistics.timezones.format_local)."""
    if value is None:
        return "—"
    if value.tzinfo is None:  # the database hands back UTC; a naive value here is one of ours, in UTC
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(tz_name or operator_timezone()))
    return f"{local.strftime(fmt)} {local.tzname()}"


def format_day(value: date | datetime | None, width: str = "long") -> str:
    """A calendar day in the page's language: 'Monday, 7 December 2026' (full), '7 December 2026' (long),
    '7 Dec 2026' (medium), each language's own way. A stored instant is the operator's day it happened on (an offer
    accepted at 00:30 in Frankfurt was accepted that day, not the UTC day before)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(ZoneInfo(operator_timezone())).date()
    return format_date(value, width, locale=page_language())


def format_number(value: int | Decimal | None) -> str:
    return "—" if value is None else format_decimal(value, locale=page_language(), decimal_quantization=False)


def format_page_money(amount: Decimal | None, currency: str | None) -> str:
    """An amount as the page's language writes it, every decimal kept: €1,596.76, 1.596,76 €."""
    return format_money(amount, currency, page_language())


def page_country_name(code: str | None, language: str | None = None) -> str:
    """A country's name in the page's language (or in `language`): Jordan, Jordanien, Иордания, الأردن."""
    return country_name(code, language or page_language())


def page_language_name(code: str | None, language: str | None = None) -> str:
    """A language's name in the page's language (or in `language`): Arabic, Arabisch."""
    return language_name(code, language or page_language())


def register_filters(app: Flask) -> None:
    app.jinja_env.globals["settings"] = settings  # templates read settings().operator_email, as code does
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["country"] = page_country_name
    app.jinja_env.filters["language"] = page_language_name
    app.jinja_env.filters["money"] = format_page_money
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.globals["operator_timezone"] = operator_timezone
