"""Follow-ups after discharge: generated from the programme's schedule (directory.follow_up_schedule) when a case
is discharged, then done, rescheduled or cancelled by the coordinator."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from backoffice.cases import reminders
from backoffice.cases.models import Case
from backoffice.cases.operations import record_case_event
from backoffice.dbtypes import utcnow
from backoffice.directory.follow_up_schedule import (
    MAX_LABEL,
    MAX_REACH_YEARS,
    ScheduleError,
    parse_schedule,
    plan_follow_ups,
    rules_in_plan,
)
from backoffice.directory.models import Hospital, Programme
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.logistics.models import FollowUp
from backoffice.logistics.timezones import to_local

RESULT_LENGTH = (3, 2000)
MAX_REASON = 500


# A follow-up that is no longer due, by its state and what was tried.
ALREADY = {
    ("done", "marked done"): _l("“%(label)s” is already done; only a due follow-up can be marked done."),
    ("done", "rescheduled"): _l("“%(label)s” is already done; only a due follow-up can be rescheduled."),
    ("done", "cancelled"): _l("“%(label)s” is already done; only a due follow-up can be cancelled."),
    ("cancelled", "marked done"): _l("“%(label)s” is already cancelled; only a due follow-up can be marked done."),
    ("cancelled", "rescheduled"): _l("“%(label)s” is already cancelled; only a due follow-up can be rescheduled."),
    ("cancelled", "cancelled"): _l("“%(label)s” is already cancelled; only a due follow-up can be cancelled."),
}


class FollowUpError(DomainError):
    pass


# ---------------------------------------------------------------------------------------------- generating


def _has_follow_ups(case_id: int) -> bool:
    return db.session.scalar(select(FollowUp.id).where(FollowUp.case_id == case_id).limit(1)) is not None


def generate_follow_ups(case: Case, actor_id: int | None, discharged_on: date | None = None) -> list[FollowUp]:
    """Create the follow-ups the case's programme plans after discharge (today, UTC, unless given).

    The programme's schedule decides; without one, the follow-ups its plan names in words ("Stimulator adjustment
    after 4 weeks and 3 months") are planned. A plan that names none in a way that can be counted leaves the
    coordinator a reminder to plan them by hand, never silence. Idempotent: a case that already has follow-ups gets
    none. A case without a programme or plan gets none, without error. A schedule that cannot be read is refused
    with its line number.
    """
    if _has_follow_ups(case.id) or case.programme_id is None:
        return []
    programme = db.session.get(Programme, case.programme_id)
    if programme is None:
        return []
    discharged_on = discharged_on or utcnow().date()
    if (programme.follow_up_schedule or "").strip():
        try:
            rules = parse_schedule(programme.follow_up_schedule)
        except ScheduleError as error:
            raise FollowUpError(
                _(
                    "The follow-ups of the programme %(programme)s cannot be planned. %(error)s Correct the schedule "
                    "in the directory, then try again.",
                    programme=programme.name,
                    error=error.message,
                )
            ) from None
    else:
        rules = rules_in_plan(programme.follow_up_plan)
    if not rules:
        _ask_to_plan_by_hand(case, programme, actor_id, discharged_on)
        return []
    follow_ups = [
        FollowUp(case_id=case.id, position=planned.position, due_on=planned.due_on, label=planned.label, status="due")
        for planned in plan_follow_ups(rules, discharged_on)
    ]
    db.session.add_all(follow_ups)
    db.session.flush()
    record_case_event(
        case,
        "follow_up",
        actor_id,
        note=f"{len(follow_ups)} follow-ups planned after discharge on {discharged_on.isoformat()}, "
        f"the first on {follow_ups[0].due_on.isoformat()}: " + "; ".join(rule.describe() for rule in rules),
        audit={"follow_ups": len(follow_ups), "discharged_on": discharged_on.isoformat()},
    )
    return follow_ups


def _ask_to_plan_by_hand(case: Case, programme: Programme, actor_id: int | None, discharged_on: date) -> None:
    plan = " ".join((programme.follow_up_plan or "").split())
    if not plan:
        return
    reminders.remind(
        case, source="discharge", source_id=None, text=f"Plan the follow-ups by hand: {plan}", due_on=discharged_on
    )
    record_case_event(
        case,
        "follow_up",
        actor_id,
        note=f"No follow-ups could be planned from the programme's plan; plan them by hand: {plan}"[:2000],
    )


def add_follow_up(case_id: int, due_on: date | None, label: str | None, actor_id: int) -> FollowUp:
    """A follow-up planned by hand, beside those of the programme: its name and its day (today or later), on a case
    discharged or in aftercare."""
    case = db.session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        raise NotFound(_("There is no such case."))
    if case.state not in ("discharged", "aftercare"):
        raise FollowUpError(_("Follow-ups are added once the patient is discharged, and until the case is closed."))
    label = " ".join((label or "").split())
    if not label:
        raise FollowUpError(_("Name the follow-up, such as “Stimulator adjustment”."))
    if len(label) > MAX_LABEL:
        raise FollowUpError(
            _("Keep the name to %(most)d characters (it has %(length)d).", most=MAX_LABEL, length=len(label))
        )
    today = utcnow().date()
    if due_on is None:
        raise FollowUpError(_("Give the day the follow-up is due."))
    if due_on < today:
        raise FollowUpError(_("The follow-up's day cannot be in the past."))
    if due_on.year > today.year + MAX_REACH_YEARS:
        raise FollowUpError(_("The day is more than %(years)d years away.", years=MAX_REACH_YEARS))
    last = db.session.scalar(select(func.max(FollowUp.position)).where(FollowUp.case_id == case.id)) or 0
    follow_up = FollowUp(case_id=case.id, position=last + 1, due_on=due_on, label=label, status="due")
    db.session.add(follow_up)
    db.session.flush()
    record_case_event(
        case,
        "follow_up",
        actor_id,
        note=f"Follow-up {label} added by hand, due {due_on.isoformat()}",
        audit={"follow_up_id": follow_up.id, "due_on": due_on.isoformat()},
    )
    return follow_up


# ---------------------------------------------------------------------------------------------- one follow-up


def get_follow_up(follow_up_id: int, *, for_update: bool = False) -> FollowUp:
    query = select(FollowUp).where(FollowUp.id == follow_up_id)
    if for_update:
        # Two coordinators acting on the same follow-up at once: the second waits, then sees the first one's change.
        query = query.with_for_update()
    follow_up = db.session.scalar(query)
    if follow_up is None:
        raise NotFound(_("There is no such follow-up."))
    return follow_up


def _changeable(follow_up_id: int, action: str) -> tuple[FollowUp, Case]:
    follow_up = get_follow_up(follow_up_id, for_update=True)
    if follow_up.status != "due":
        state = "done" if follow_up.status == "done" else "cancelled"
        raise FollowUpError(ALREADY[state, action] % {"label": follow_up.label})
    return follow_up, db.session.get(Case, follow_up.case_id)


def _reason(reason: str | None, missing: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise FollowUpError(missing)
    if len(reason) > MAX_REASON:
        raise FollowUpError(
            _("Keep the reason to %(most)d characters (it has %(length)d).", most=MAX_REASON, length=len(reason))
        )
    return reason


def mark_done(follow_up_id: int, result: str | None, done_on: date | None, actor_id: int) -> FollowUp:
    """Record that a due follow-up took place: a short result (3 to 2000 characters) and the day, not in the future.

    The result is medical: it stays on the follow-up and out of the timeline, which finance also reads.
    """
    follow_up, case = _changeable(follow_up_id, "marked done")
    result = (result or "").strip()
    low, high = RESULT_LENGTH
    if len(result) < low:
        raise FollowUpError(
            _("Write down the result of “%(label)s” (at least %(least)d characters).", label=follow_up.label, least=low)
        )
    if len(result) > high:
        raise FollowUpError(
            _("Keep the result to %(most)d characters (it has %(length)d).", most=high, length=len(result))
        )
    if done_on is None:
        raise FollowUpError(_("Give the day the follow-up took place."))
    # "Today" where the patient was treated: east of UTC that date can be ahead of UTC's.
    hospital = db.session.get(Hospital, case.hospital_id) if case.hospital_id else None
    today = to_local(utcnow(), hospital.timezone).date() if hospital else utcnow().date()
    if done_on > today:
        raise FollowUpError(_("The day the follow-up took place cannot be in the future."))
    follow_up.status, follow_up.result, follow_up.done_on = "done", result, done_on
    follow_up.done_at, follow_up.done_by_id = utcnow(), actor_id
    db.session.flush()
    reminders.close_reminders_about(case, "follow_up", follow_up.id, actor_id=actor_id)
    record_case_event(
        case,
        "follow_up",
        actor_id,
        note=f"Follow-up {follow_up.label} done on {done_on.isoformat()} (was due {follow_up.due_on.isoformat()})",
        audit={"follow_up_id": follow_up.id, "status": "done", "done_on": done_on.isoformat()},
    )
    return follow_up


def reschedule(follow_up_id: int, due_on: date | None, actor_id: int, reason: str | None) -> FollowUp:
    """Move a due follow-up to another day, today or later, giving the reason."""
    follow_up, case = _changeable(follow_up_id, "rescheduled")
    today = utcnow().date()
    if due_on is None:
        raise FollowUpError(_("Give the new date."))
    if due_on < today:
        raise FollowUpError(_("The new date cannot be in the past."))
    if due_on.year > today.year + MAX_REACH_YEARS:
        raise FollowUpError(_("The new date is more than %(years)d years away.", years=MAX_REACH_YEARS))
    if due_on == follow_up.due_on:
        raise FollowUpError(_("“%(label)s” is already due on %(day)s.", label=follow_up.label, day=due_on.isoformat()))
    reason = _reason(reason, _("Give the reason for moving the follow-up."))
    before = follow_up.due_on
    follow_up.due_on = due_on
    db.session.flush()
    reminders.move_reminders_about(case, "follow_up", follow_up.id, due_on)
    record_case_event(
        case,
        "follow_up",
        actor_id,
        note=f"Follow-up {follow_up.label} moved from {before.isoformat()} to {due_on.isoformat()}: {reason}",
        audit={"follow_up_id": follow_up.id, "from": before.isoformat(), "to": due_on.isoformat()},
    )
    return follow_up


def cancel(follow_up_id: int, reason: str | None, actor_id: int) -> FollowUp:
    """Call off a due follow-up (the patient declined, another doctor took over ...), giving the reason."""
    follow_up, case = _changeable(follow_up_id, "cancelled")
    reason = _reason(reason, _("Give the reason for cancelling the follow-up."))
    follow_up.status = "cancelled"
    db.session.flush()
    reminders.close_reminders_about(case, "follow_up", follow_up.id, state="cleared", actor_id=actor_id)
    record_case_event(
        case,
        "follow_up",
        actor_id,
        note=f"Follow-up {follow_up.label} (due {follow_up.due_on.isoformat()}) cancelled: {reason}",
        audit={"follow_up_id": follow_up.id, "status": "cancelled"},
    )
    return follow_up
