"""Telling staff: one notification per person and event, in the caller's transaction.

`notify` is the one way a notification is made; `notify_case` tells the staff a case event is for (its coordinator,
or every coordinator while nobody has taken the case). A notification's text names the case by its number and says
what happened, nothing more: it can leave the building in the email digest, so no health data goes into it.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.auth.permissions import CASE_TAKERS
from backoffice.cases.models import Case
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


def notify_case(
    kind: str,
    case: Case,
    *,
    key: str,
    link: str = "",
    note: str = "",
    everyone_if_unassigned: bool = False,
    except_user_id: int | None = None,
) -> list[Notification]:
    """Tell the case's coordinator of `kind` on `case` (once per `key`): "C-2026-00042: <kind>[ (note)]".

    With `everyone_if_unassigned`, a case nobody has taken (or whose coordinator has left) goes to every active
    coordinator instead. `except_user_id` is who caused the event: they know already. `note` must carry no health
    data (a finding's code, a step's name).
    """
    recipients = [case.coordinator_id] if case.coordinator_id and _is_active(case.coordinator_id) else []
    if not recipients and everyone_if_unassigned:
        recipients = active_coordinator_ids()
    recipients = [user_id for user_id in recipients if user_id != except_user_id]
    text = f"{case.number}: {KINDS[kind]}" + (f" ({note})" if note else "")
    return notify(
        kind, recipients, text=text, key=key, case_id=case.id, link=link or path_for("cases.show_case", case_id=case.id)
    )


def active_coordinator_ids() -> list[int]:
    """Every active coordinator (those who take new cases from the queue)."""
    return list(
        db.session.scalars(select(User.id).where(User.role.in_(CASE_TAKERS), User.active.is_(True)).order_by(User.id))
    )


def path_for(endpoint: str, **values) -> str:
    """The path of a page inside the app (`/cases/42`), the same in a request and in a job: notifications store it,
    the centre prefixes it with where the app is mounted, the digest with PUBLIC_URL."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _is_active(user_id: int) -> bool:
    return bool(db.session.scalar(select(User.active).where(User.id == user_id)))
