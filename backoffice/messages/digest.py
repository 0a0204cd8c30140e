"""The email digest of notifications: once a day, from DIGEST_HOUR in the operator's time zone, each staff member who
chose "daily" gets one mail listing their unread notifications not yet sent in a digest, each with its link.

A user's last digest is the latest `digested_at` of their notifications, so the job needs no state of its own: a
second run the same day finds everyone done, and a notification goes out in one digest at most. The text is the
notification's own (case number and what happened, no health data); the rest is in the staff member's language
(`users.language`: English or German).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select

from backoffice.auth.models import User
from backoffice.auth.permissions import STAFF_ROLES
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.jobs.periodic import BATCH, every
from backoffice.messages.automatic import render
from backoffice.messages.models import Message
from backoffice.messages.operations import queue_message
from backoffice.notifications.models import KINDS, Notification

log = logging.getLogger(__name__)

MAX_LISTED = 100  # notifications listed in one digest; the rest are counted, and the centre shows them all


def digest_time(now: datetime) -> datetime:
    """Today's digest time (DIGEST_HOUR in the operator's zone) as a UTC instant, for `now`."""
    zone = ZoneInfo(settings().operator_timezone)
    today = now.astimezone(zone).date()
    return datetime.combine(today, time(settings().digest_hour), tzinfo=zone).astimezone(now.tzinfo)


@every(timedelta(hours=1), "messages.notification_digest")
def send_digests(now: datetime | None = None) -> dict:
    """Queue today's digest for each active staff member who chose "daily", has undigested unread notifications and
    has had no digest since today's digest time. Commits after each mail, so one refused address stops no other."""
    now = now or utcnow()
    since = digest_time(now)
    if now < since:
        return {"digests": 0, "reason": "before today's digest time"}
    sent = refused = 0
    for user in _due_users(since):
        try:
            with db.session.begin_nested():
                _queue_digest(user, now)
            sent += 1
        except DomainError as error:  # an address the mail rules refuse: the others still get theirs
            log.warning("digest of user %s not queued: %s", user.id, error.message)
            refused += 1
        db.session.commit()
    return {"digests": sent, "refused": refused}


def _due_users(since: datetime) -> list[User]:
    undigested = exists().where(
        and_(Notification.user_id == User.id, Notification.read_at.is_(None), Notification.digested_at.is_(None))
    )
    last_digest = select(func.max(Notification.digested_at)).where(Notification.user_id == User.id).scalar_subquery()
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.notification_digest == "daily",
                User.active.is_(True),
                User.role.in_(STAFF_ROLES),
                undigested,
                or_(last_digest.is_(None), last_digest < since),
            )
            .order_by(User.id)
            .limit(BATCH)
        )
    )


def _queue_digest(user: User, now: datetime) -> Message:
    notifications = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None), Notification.digested_at.is_(None))
            .order_by(Notification.created_at, Notification.id)
        )
    )
    listed = notifications[:MAX_LISTED]
    base = settings().public_url.rstrip("/")
    items = [
        {
            "kind": KINDS.get(n.kind, n.kind),
            "text": n.text,
            "url": base + (n.link or "/notifications/"),
        }
        for n in listed
    ]
    language, subject, body = render(
        "digest",
        user.language,
        counterpart="staff",
        name=" ".join(user.name.split()),
        items=items,
        more=len(notifications) - len(listed),
        centre_url=f"{base}/notifications/",
    )
    message = queue_message(
        kind="digest", to=[user.email], subject=subject, body_text=body, language=language, counterpart="staff"
    )
    for notification in notifications:
        notification.digested_at = now
    db.session.flush()
    return message
