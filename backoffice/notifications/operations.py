"""Telling staff: one notification per person and event, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.notifications.models import KINDS, Notification


def notify(
    kind: str, user_ids: Iterable[int | None], *, text: str, key: str, case_id: int | None = None, link: str = ""
) -> list[Notification]:
    """Notify each of `user_ids` (None skipped) of `kind` once per `key`: a second call with the same key adds nothing.

    Flushes; the caller commits with the change the notification is about.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    wanted = sorted({user_id for user_id in user_ids if user_id is not None})
    if not wanted:
        return []
    dedupe_key = f"{kind}:{key}"[:120]
    already = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.user_id.in_(wanted), Notification.dedupe_key == dedupe_key)
        )
    )
    added = [
        Notification(
            user_id=user_id, kind=kind, case_id=case_id, text=text[:300], link=link[:300], dedupe_key=dedupe_key
        )
        for user_id in wanted
        if user_id not in already
    ]
    db.session.add_all(added)
    db.session.flush()
    return added
