"""Jinja filters: dates shown in UTC with their zone, roles with their labels."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from backoffice.auth.permissions import ROLE_LABELS
from backoffice.geo import country_name, language_name
from backoffice.money import format_money


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return f"{value.strftime(fmt)} UTC"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["role_label"] = lambda role: ROLE_LABELS.get(role, role)
    app.jinja_env.filters["country"] = country_name
    app.jinja_env.filters["language"] = language_name
    app.jinja_env.filters["money"] = format_money
