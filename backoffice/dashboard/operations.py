"""Figures for the staff dashboard."""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.audit.models import AuditEvent
from backoffice.auth.models import User
from backoffice.extensions import db


def accounts_by_role() -> dict[str, dict[str, int]]:
    """Active and deactivated accounts per role, in one statement."""
    rows = db.session.execute(select(User.role, User.active, func.count()).group_by(User.role, User.active))
    counts: dict[str, dict[str, int]] = {}
    for role, active, count in rows:
        counts.setdefault(role, {"active": 0, "inactive": 0})["active" if active else "inactive"] += count
    return counts


def failed_logins_since(since) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(AuditEvent.action == "login_failed", AuditEvent.occurred_at >= since)
        )
        or 0
    )
