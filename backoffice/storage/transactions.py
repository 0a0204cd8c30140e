"""A file stored for a change that does not commit goes again: `discard_on_rollback(key)` after `files.put`.

The bytes are written before the database commits (the store is not part of the transaction), so the transaction
that named them watches them: when it rolls back, `files.discard` removes them; when it commits, they stay. A
savepoint is watched on its own: a file stored inside one that rolls back goes, one stored before it stays, and a
savepoint that commits hands its files to the transaction around it.

One exception: when the COMMIT itself fails (the database went away), the change may have been committed without
the answer reaching us, so the files are kept (an unused one is served by nothing; its name is unique).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from backoffice.extensions import db
from backoffice.storage import files

WATCHED = "storage.stored_in_transaction"  # session.info: {transaction: [keys stored in it]}
COMMITTING = "storage.committing"


def discard_on_rollback(key: str) -> None:
    """Remove the file under `key` if the transaction (or savepoint) that stored it rolls back."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:  # nothing to watch: no transaction will name the file
        return
    session.info.setdefault(WATCHED, {}).setdefault(transaction, []).append(key)


def _watched(session: Session) -> dict[SessionTransaction, list[str]]:
    return session.info.get(WATCHED, {})


@event.listens_for(Session, "before_commit")
def _committing(session: Session) -> None:
    if _watched(session) and session.get_nested_transaction() is None:
        # Flush first: a failure there (a constraint, an audit row) surely stored nothing, and the files go. Only a
        # failure of the COMMIT itself leaves us not knowing whether the change was stored.
        session.flush()
        session.info[COMMITTING] = True


@event.listens_for(Session, "after_commit")
def _keep(session: Session) -> None:
    savepoint = session.get_nested_transaction()  # still the one committing, if a savepoint commits
    watched = _watched(session)
    if savepoint is None:
        watched.clear()
        session.info.pop(COMMITTING, None)
    elif savepoint in watched and savepoint.parent is not None:
        watched.setdefault(savepoint.parent, []).extend(watched.pop(savepoint))


@event.listens_for(Session, "after_transaction_end")
def _discard(session: Session, transaction: SessionTransaction) -> None:
    keys = _watched(session).pop(transaction, None)
    if transaction.parent is None and session.info.pop(COMMITTING, False) and keys:
        for key in keys:
            current_app.logger.warning("kept %s: the commit of its change was cut off", key)
        return
    for key in keys or ():
        files.discard(key)
