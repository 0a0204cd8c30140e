"""What only the directory checks (hospital codes), and the two steps of every directory change.

The general checks (text, email, phone, country, languages, time zone, days, prices) are `backoffice.validators`,
raising DirectoryError here. Hospitals, physicians, programmes (and pharmacies) share the two steps of a change:
applying the values (noting what changed for the audit row) and flushing where a unique key may be taken meanwhile.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.validators import plain

CODE_PATTERN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
CODE_MAX = 20


class DirectoryError(DomainError):
    pass


def code(value: str | None) -> str:
    """A hospital code such as FRA-ABM: capital letters and digits in groups joined by dashes."""
    code = (value or "").strip().upper()
    if not code:
        raise DirectoryError(_("Enter the hospital code (such as FRA-ABM)."))
    if len(code) > CODE_MAX or not CODE_PATTERN.fullmatch(code):
        raise DirectoryError(
            _(
                "%(value)s is not a hospital code: use up to %(max)s capital letters and digits, "
                "in groups joined by dashes (such as FRA-ABM).",
                value=repr(code[:40]),
                max=CODE_MAX,
            )
        )
    return code


def apply_changes(row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set `values` on `row`; return {field: [before, after]} for those that changed, for the audit row."""
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        before = getattr(row, name)
        if before != value:
            changes[name] = [plain(before), plain(value)]
            setattr(row, name, value)
    return changes


def flush_unique(message: str) -> None:
    """Flush; a unique key taken meanwhile by a concurrent request (after our check) becomes a message too.

    The caller rolls back on the error, as after any DomainError.
    """
    try:
        db.session.flush()
    except IntegrityError:
        raise DirectoryError(message) from None
