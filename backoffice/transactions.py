"""What every view that changes something does after parsing its form: one operation, one commit or rollback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect
from sqlalchemy.orm.exc import StaleDataError

from backoffice.errors import DomainError, keep_trace
from backoffice.extensions import db

T = TypeVar("T")


def commit_change(
    change: Callable[[], T],
    *,
    success: str | Callable[[T], str],
    target: str | Callable[[T], str],
    on_refusal: Callable[[int], Any],
):
    """Run `change`; commit, flash `success` and redirect to `target`.

    When a rule refuses it (a DomainError), roll back, flash the reason and answer with `on_refusal(status)` (the
    page shown again with a 4xx), so nothing half-done is stored and the user sees why. The message and the address
    are taken before the commit, which expires the changed rows.
    """
    try:
        result = change()
        message = success(result) if callable(success) else success
        address = target(result) if callable(target) else target
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        keep_trace(error)
        flash(error.message, "error")
        return on_refusal(error.status_code)
    except StaleDataError:  # a versioned row changed by someone else between our read and our write
        db.session.rollback()
        flash("Someone else changed this at the same moment; nothing was stored. Look at it again and retry.", "error")
        return on_refusal(409)
    flash(message, "success")
    return redirect(address)
