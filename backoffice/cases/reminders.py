"""Reminders on a case: any number, each a user's own or the system's about one thing (a follow-up, a medicine order).

Nothing overwrites another's reminder: the system closes only the reminders it made about the thing that is now
settled. The case keeps a copy of its earliest open reminder (`next_action_on`, `next_action`) so the case list can
sort by it and the dashboard can show it in a fixed number of statements; `refresh_next_action` is the one place
that writes that copy, and every change of a reminder goes through it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.cases import states
from backoffice.cases.models import Case, Reminder
from backoffice.cases.operations import CaseError, get_case, record_case_event, save_case
from backoffice.dbtypes import utcnow
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.templating import format_datetime, operator_timezone

MAX_TEXT = 200
# By day; within a day the timed ones by their time, then those without a time; then the oldest (the same on every
# database: NULLs sort first on SQLite and last on PostgreSQL, so the "has no time" flag goes first).
EARLIEST_FIRST = (Reminder.due_on, Reminder.due_at.is_(None), Reminder.due_at, Reminder.id)
# What the system's reminders are about, and how a closed reminder ended, as people read them (translated where shown).
SOURCE_LABELS = {"medicine_order": N_("medicine order"), "follow_up": N_("follow-up"), "discharge": N_("discharge")}
STATE_LABELS = {"done": N_("done"), "cleared": N_("cleared")}


# ---------------------------------------------------------------------------------------------- the case's copy


def refresh_next_action(case: Case) -> None:
    """Copy the case's earliest open reminder (by day and time, then the oldest) onto the case, or clear the copy.

    The case row is locked first, so two changes of the same case's reminders at once cannot leave a stale copy.
    """
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    earliest = db.session.scalar(
        select(Reminder).where(Reminder.case_id == case.id, Reminder.state == "open").order_by(*EARLIEST_FIRST).limit(1)
    )
    due_on, text = (earliest.due_on, earliest.text) if earliest else (None, "")
    if (case.next_action_on, case.next_action) != (due_on, text):
        case.next_action_on, case.next_action = due_on, text
        save_case(case)


# ---------------------------------------------------------------------------------------------- reading


def open_reminders(case_id: int) -> list[Reminder]:
    """A case's open reminders, earliest first, each with its owner (one statement)."""
    return list(
        db.session.scalars(
            select(Reminder)
            .where(Reminder.case_id == case_id, Reminder.state == "open")
            .options(joinedload(Reminder.owner))
            .order_by(*EARLIEST_FIRST)
        )
    )


def open_reminder_about(source: str, source_id: int) -> Reminder | None:
    """The system's open reminder about one thing (a medicine order, a follow-up), if there is one."""
    return db.session.scalar(
        select(Reminder)
        .where(Reminder.source == source, Reminder.source_id == source_id, Reminder.state == "open")
        .order_by(Reminder.id)
        .limit(1)
    )


# ---------------------------------------------------------------------------------------------- a user's own


def _text(text: str | None) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise CaseError(_("Say what is due on that date."))
    if len(text) > MAX_TEXT:
        raise CaseError(
            _("Keep the reminder to %(max)s characters (it has %(length)s).", max=MAX_TEXT, length=len(text))
        )
    return text


def owner_shown(reminder: Reminder) -> str:
    """Whose reminder it is, in the page's language: the user's name (owner loaded), or "System (medicine order #12)"
    (the system's)."""
    if reminder.source == "user":
        return reminder.owner.name if reminder.owner else _("Nobody (a reminder from before reminders had owners)")
    label = SOURCE_LABELS.get(reminder.source)
    what = _(label) if label else reminder.source.replace("_", " ")
    if reminder.source_id:
        return _("System (%(what)s #%(number)s)", what=what, number=reminder.source_id)
    return _("System (%(what)s)", what=what)


def reminders_addable(case: Case) -> bool:
    """Whether a user may add a reminder to the case: not once it is closed or cancelled (nothing more is due on it).
    Its open reminders can still be marked done, so none stays open for ever."""
    return case.state not in states.FINAL


def due_instant(due_on: date, due_time: time) -> datetime:
    """The UTC instant of a time of day on `due_on` in the operator's time zone (OPERATOR_TIMEZONE)."""
    return datetime.combine(due_on, due_time, tzinfo=ZoneInfo(operator_timezone())).astimezone(UTC)


def add_reminder(
    case_id: int, *, due_on: date | None, text: str | None, actor_id: int, due_time: time | None = None
) -> Reminder:
    """A user's own reminder on a case: what is due and on which day (today or later), optionally at a time of day
    in the operator's zone (not already past). Other reminders stay. A closed or cancelled case takes no new one."""
    case = get_case(case_id)
    if not reminders_addable(case):
        raise CaseError(
            _(
                "Case %(number)s is %(state)s; it takes no new reminders.",
                number=case.number,
                state=states.shown(case.state).lower(),
                label=states.shown(case.state),
            )
        )
    if due_on is None:
        raise CaseError(_("Give the day the reminder is due."))
    if due_on < utcnow().date():
        raise CaseError(_("The reminder date is in the past; choose today or a later day."))
    due_at = due_instant(due_on, due_time) if due_time is not None else None
    if due_at is not None and due_at < utcnow():
        raise CaseError(_("That time today has passed; choose a later time or another day."))
    reminder = Reminder(
        case_id=case.id, owner_id=actor_id, source="user", text=_text(text), due_on=due_on, due_at=due_at
    )
    db.session.add(reminder)
    db.session.flush()
    refresh_next_action(case)
    record_case_event(
        case,
        "reminder",
        actor_id,
        note=f"Reminder for {due_on.isoformat()}{' ' + format_datetime(due_at, '%H:%M') if due_at else ''}: "
        f"{reminder.text}",
        audit={"id": reminder.id},
    )
    return reminder


def complete_reminder(case_id: int, reminder_id: int, *, actor_id: int) -> Reminder:
    """Mark one open reminder of the case done (anyone working the case may, whoever's it is); the others stay."""
    case = get_case(case_id)
    reminder = db.session.scalar(
        select(Reminder).where(Reminder.id == reminder_id, Reminder.case_id == case.id).with_for_update()
    )
    if reminder is None:
        raise NotFound(_("The case has no such reminder."))
    if reminder.state != "open":
        state = STATE_LABELS.get(reminder.state)
        raise CaseError(
            _(
                "The reminder “%(text)s” is already %(state)s.",
                text=reminder.text,
                state=_(state) if state else reminder.state,
            )
        )
    _close(reminder, "done", actor_id)
    refresh_next_action(case)
    record_case_event(
        case, "reminder", actor_id, note=f"Reminder done: {reminder.text}", audit={"id": reminder.id, "state": "done"}
    )
    return reminder


def _close(reminder: Reminder, state: str, actor_id: int | None) -> None:
    reminder.state, reminder.closed_at, reminder.closed_by_id = state, utcnow(), actor_id
    db.session.flush()


# ---------------------------------------------------------------------------------------------- the system's


def remind(case: Case, *, source: str, source_id: int | None, text: str, due_on: date) -> Reminder:
    """The system's reminder about one thing. One open reminder per thing: asked again, it is updated, not doubled."""
    reminder = open_reminder_about(source, source_id) if source_id is not None else None
    if reminder is None:
        reminder = Reminder(case_id=case.id, owner_id=None, source=source, source_id=source_id)
        db.session.add(reminder)
    reminder.text, reminder.due_on = " ".join(text.split())[:MAX_TEXT], due_on
    db.session.flush()
    refresh_next_action(case)
    return reminder


def close_reminders_about(
    case: Case, source: str, source_id: int, *, state: str = "done", actor_id: int | None = None
) -> int:
    """The thing is settled (the follow-up took place, the order went through): close the system's open reminders
    about it, and nobody else's. Returns how many were closed."""
    reminders = db.session.scalars(
        select(Reminder).where(
            Reminder.case_id == case.id,
            Reminder.source == source,
            Reminder.source_id == source_id,
            Reminder.state == "open",
        )
    ).all()
    for reminder in reminders:
        _close(reminder, state, actor_id)
    if reminders:
        refresh_next_action(case)
    return len(reminders)


def move_reminders_about(case: Case, source: str, source_id: int, due_on: date) -> None:
    """The thing moved to another day (a rescheduled follow-up): its open reminders move with it."""
    reminders = db.session.scalars(
        select(Reminder).where(
            Reminder.case_id == case.id,
            Reminder.source == source,
            Reminder.source_id == source_id,
            Reminder.state == "open",
        )
    ).all()
    for reminder in reminders:
        reminder.due_on = due_on
    if reminders:
        db.session.flush()
        refresh_next_action(case)
