"""What every view that changes something does after parsing its form: one operation, one commit or rollback."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect
from flask_babel import gettext as _
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
    on_failed_commit: Callable[[T, Exception], None] | None = None,
    after_commit: Callable[[], None] | None = None,
):
    """Run `change`; commit, flash `success` and redirect to `target`.

    When a rule refuses it (a DomainError), roll back, flash the reason and answer with `on_refusal(status)` (the
    page shown again with a 4xx), so nothing half-done is stored and the user sees why. The message and the address
    are taken before the commit, which expires the changed rows. When the commit itself fails, the transaction is
    rolled back and `on_failed_commit(result, error)` undoes what lives outside the database (a stored file).
    `after_commit()` runs once the change is stored (sending the jobs it recorded).
    """
    try:
        result = change()
        message = success(result) if callable(success) else success
        address = target(result) if callable(target) else target
        _commit(result, on_failed_commit)
    except DomainError as error:
        db.session.rollback()
        keep_trace(error)
        flash(error.message, "error")
        return on_refusal(error.status_code)
    except StaleDataError:  # a versioned row changed by someone else between our read and our write
        db.session.rollback()
        flash(
            _("Someone else changed this at the same moment; nothing was stored. Look at it again and retry."), "error"
        )
        return on_refusal(409)
    if after_commit is not None:
        after_commit()
    flash(message, "success")
    return redirect(address)


def commit_answer(
    change: Callable[[], T],
    *,
    answer: Callable[[T], Any],
    on_refusal: Callable[[DomainError], Any],
    success: str | Callable[[T], str] | None = None,
    passes: tuple[type[DomainError], ...] = (),
):
    """Like `commit_change`, for a view that answers something else than a redirect with a message (a page shown
    once, a file, a message known only after the commit).

    The `success` message is made before the commit (which expires the changed rows) and flashed after it; the answer
    is `answer(result)`, made after the commit. A refusal (a DomainError) is rolled back, its trace kept, and answered
    by `on_refusal(error)`; the errors in `passes` (a link that does not exist) are rolled back and go on to their own
    error page.
    """
    try:
        result = change()
        message = success(result) if callable(success) else success
        db.session.commit()
    except passes:
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        keep_trace(error)
        return on_refusal(error)
    if message:
        flash(message, "success")
    return answer(result)


def _commit(result: T, on_failed_commit: Callable[[T, Exception], None] | None) -> None:
    if on_failed_commit is None:
        db.session.commit()
        return
    try:
        db.session.commit()
    except Exception as error:
        with contextlib.suppress(Exception):  # the connection may be gone; the pool replaces it
            db.session.rollback()
        on_failed_commit(result, error)
        raise
