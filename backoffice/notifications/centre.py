"""The notification centre: a staff member's own notifications, read and marked read only by their owner, and
their choice of an email digest."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from backoffice.auth.models import User
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.notifications.models import Notification
from backoffice.pagination import Page, paginate
from backoffice.trail import record_event

PER_PAGE = 25
# Labels marked for the catalogues, translated where shown (the account page).
DIGESTS = {
    "off": N_("Off: the notification centre only"),
    "daily": N_("Daily: one email a day with what I have not read"),
}


class DigestRefused(DomainError):
    status_code = 422


def my_notifications(user_id: int, *, page: int) -> Page[Notification]:
    """One page of the user's notifications, unread first, newest first (two statements)."""
    return paginate(
        select(Notification).where(Notification.user_id == user_id),
        page=page,
        per_page=PER_PAGE,
        order_by=(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()),
    )


def unread_count(user_id: int) -> int:
    return (
        db.session.scalar(select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None)))
        or 0
    )


def own_notification(notification_id: int, user_id: int) -> Notification:
    """The user's notification; another user's is not found, as one that does not exist."""
    notification = db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    )
    if notification is None:
        raise NotFound(_("There is no such notification of yours."))
    return notification


def mark_read(notification_id: int, user_id: int) -> Notification:
    """Mark one of the user's notifications read (it stays read: a second mark keeps the first time)."""
    notification = own_notification(notification_id, user_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def safe_link(notification: Notification) -> str | None:
    """Where the notification leads: a path inside the app, never another site (`//evil.example`)."""
    link = notification.link or ""
    if link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


def change_digest(user_id: int, choice: str | None) -> User:
    """Set how the user's notifications also reach them by mail ("off" or "daily"); an audit row says who chose what."""
    if choice not in DIGESTS:
        raise DigestRefused(_("Choose whether your notifications also come by email: off or daily."))
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such account."))
    before = user.notification_digest
    if before != choice:
        user.notification_digest = choice
        record_event(
            "notification_digest.changed",
            actor_id=user_id,
            object_type="user",
            object_id=user_id,
            details={"before": before, "after": choice},
        )
        db.session.flush()
    return user
