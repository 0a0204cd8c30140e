"""What every view that changes something does after parsing its form: one operation, one commit or rollback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    outcome = _commit(change, success, lambda result: target(result) if callable(target) else target, on_refusal)
    if not isinstance(outcome, _Committed):
        return outcome
    flash(outcome.message, "success")
    return redirect(outcome.taken)


def commit_and_answer(
    change: Callable[[], T],
    *,
    success: str | Callable[[T], str],
    answer: Callable[[T], Any],
    on_refusal: Callable[[int], Any],
):
    """`commit_change` for a change answered with a page rather than a redirect (a secret shown only once):
    after the commit and the flashed `success`, answer with `answer(result)`."""
    outcome = _commit(change, success, lambda result: result, on_refusal)
    if not isinstance(outcome, _Committed):
        return outcome
    flash(outcome.message, "success")
    return answer(outcome.taken)


@dataclass(frozen=True)
class _Committed:
    message: str
    taken: Any  # what was taken from the result before the commit expired its rows


def _commit(change: Callable[[], T], success, take: Callable[[T], Any], on_refusal: Callable[[int], Any]):
    try:
        result = change()
        message = success(result) if callable(success) else success
        taken = take(result)
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
    return _Committed(message, taken)
