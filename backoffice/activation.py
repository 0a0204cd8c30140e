"""Taking a directory entry out of use and back (a hospital, an interpreter): one rule, one audit row each way.

An entry out of use is no longer offered for new work; what already refers to it stays as it is. Accounts
(`users.operations`) have rules of their own on top (sessions end, cases go back to the queue) and do not use this.
"""

from __future__ import annotations

from typing import Any

from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.trail import record_event


def set_active(row: Any, active: bool, *, object_type: str, actor_id: int | None, error: type[DomainError]) -> None:
    """Set `row.active`; refused (`error`) when it already is; writes `<object_type>_deactivated` or `_reactivated`."""
    if bool(row.active) == active:
        raise error(f"{row.name} is already {'active' if active else 'deactivated'}.")
    row.active = active
    db.session.flush()
    action = "reactivated" if active else "deactivated"
    record_event(f"{object_type}_{action}", actor_id=actor_id, object_type=object_type, object_id=row.id)
