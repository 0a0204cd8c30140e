"""Follow-ups after discharge: planned from the programme's schedule, done, rescheduled or cancelled (`operations`),
listed (`lists`), and their pages (`views`, `forms`).

Here: a case's follow-ups as the case page shows them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.extensions import db
from backoffice.logistics.models import FollowUp


def case_follow_ups(case_id: int) -> list[FollowUp]:
    """A case's follow-ups in their planned order (those added by hand last), each with who marked it done (one
    statement)."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.case_id == case_id)
            .options(joinedload(FollowUp.done_by))
            .order_by(FollowUp.position)
        )
    )
