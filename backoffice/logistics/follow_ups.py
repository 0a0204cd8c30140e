"""Follow-ups after discharge: the programme's schedule, the examinations it generates and their results.

A programme's `follow_up_schedule` holds one rule a line, such as

    every 1 week x 8: Outpatient examination
    every 1 year x 5: Follow-up check

Each rule counts from the discharge date: the weekly rule falls due at discharge + 1 week, + 2 weeks ... + 8 weeks,
the yearly one at discharge + 1 year ... + 5 years. Months and years are calendar months: a day the target month
lacks is clamped to its last day (31 January + 1 month = 28 or 29 February), always counted from the discharge date
itself, so 31 January + 2 months is 31 March. The follow-ups of all rules are numbered in date order; each label
says which one of its rule it is ("Outpatient examination (3 of 8)").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from backoffice.cases.models import Case
from backoffice.cases.operations import record_case_event
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Programme
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.logistics.models import FollowUp
from backoffice.pagination import Page

UNITS = ("day", "week", "month", "year")
MAX_EVERY = 99
MAX_COUNT = 60
MAX_LABEL = 200
MAX_RULES = 20
MAX_REACH_YEARS = 50  # no follow-up is planned further than this after discharge (nor rescheduled beyond it)
RESULT_LENGTH = (3, 2000)
MAX_REASON = 500
PAGE_SIZE = 50
OVERDUE_SHOWN = 10

# "every 1 week x 8: Outpatient examination"; the interval may be left out ("every week x 8: ..."), and the "x" may
# be a multiplication sign.
_RULE = re.compile(
    r"""^every \s+ (?:(?P<every>[0-9]+) \s*)? (?P<unit>[^\s0-9:]+)
        \s+ [x\N{MULTIPLICATION SIGN}] \s* (?P<count>[0-9]+) \s* : (?P<label>.*)$""",
    re.IGNORECASE | re.VERBOSE,
)
_EXAMPLE = "“every 1 week x 8: Outpatient examination”"


class FollowUpError(DomainError):
    pass


class ScheduleError(FollowUpError):
    """A line of a follow-up schedule that cannot be read; `line` is its number (1 = the first line)."""

    def __init__(self, line: int, problem: str):
        super().__init__(f"Follow-up schedule, line {line}: {problem}")
        self.line = line


# ---------------------------------------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class Rule:
    every: int  # the interval, in `unit`s
    unit: str  # one of UNITS
    count: int  # how many follow-ups the rule makes
    label: str
    line: int  # where it stands in the schedule

    def due_dates(self, discharged_on: date) -> list[date]:
        """The rule's dates, each counted from the discharge date (never from the previous follow-up)."""
        return [_add(discharged_on, self.unit, self.every * k) for k in range(1, self.count + 1)]

    def describe(self) -> str:
        unit = self.unit if self.every == 1 else f"{self.every} {self.unit}s"
        return f"{self.label}: {self.count} \N{MULTIPLICATION SIGN} every {unit}"


def _add(day: date, unit: str, amount: int) -> date:
    if unit == "day":
        return day + timedelta(days=amount)
    if unit == "week":
        return day + timedelta(weeks=amount)
    months = amount * 12 if unit == "year" else amount
    year, month_index = divmod(day.month - 1 + months, 12)
    year += day.year
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _within_reach(unit: str, amount: int) -> bool:
    """Whether `amount` units after discharge stay within MAX_REACH_YEARS (366 days to a year: a generous bound)."""
    limits = {
        "day": MAX_REACH_YEARS * 366,
        "week": MAX_REACH_YEARS * 366 // 7,
        "month": MAX_REACH_YEARS * 12,
        "year": MAX_REACH_YEARS,
    }
    return amount <= limits[unit]


def _unit(word: str) -> str | None:
    word = word.lower()
    singular = word[:-1] if word.endswith("s") else word
    return singular if singular in UNITS else None


def _whole_number(digits: str, highest: int) -> int | None:
    """The number `digits` spell when it lies in 1..highest, else None (never int() of a thousand digits)."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(highest)):
        return None
    number = int(digits)
    return number if 1 <= number <= highest else None


def _shown(digits: str) -> str:
    return digits if len(digits) <= 12 else digits[:12] + "…"


def _parse_line(text: str, line: int) -> Rule:
    match = _RULE.match(text)
    if match is None:
        raise ScheduleError(line, f"write each rule as {_EXAMPLE} (units: days, weeks, months or years).")
    unit = _unit(match["unit"])
    if unit is None:
        raise ScheduleError(line, f"“{match['unit'][:30]}” is not a unit; use days, weeks, months or years.")
    every = _whole_number(match["every"] or "1", MAX_EVERY)
    if every is None:
        shown = _shown(match["every"])
        raise ScheduleError(line, f"the interval must be between 1 and {MAX_EVERY} {unit}s (it is {shown}).")
    count = _whole_number(match["count"], MAX_COUNT)
    if count is None:
        shown = _shown(match["count"])
        raise ScheduleError(line, f"the number of follow-ups must be between 1 and {MAX_COUNT} (it is {shown}).")
    if not _within_reach(unit, every * count):
        raise ScheduleError(line, f"the last follow-up would fall more than {MAX_REACH_YEARS} years after discharge.")
    label = " ".join(match["label"].split())
    if not label:
        raise ScheduleError(line, "name the follow-up after the colon, such as “Outpatient examination”.")
    if len(label) > MAX_LABEL:
        raise ScheduleError(line, f"the name has {len(label)} characters; at most {MAX_LABEL}.")
    return Rule(every=every, unit=unit, count=count, label=label, line=line)


def parse_schedule(text: str | None) -> list[Rule]:
    """The rules of a schedule, in the order written; blank lines are skipped.

    Raises ScheduleError naming the first line that cannot be read.
    """
    rules: list[Rule] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if len(rules) == MAX_RULES:
            raise ScheduleError(number, f"a schedule holds at most {MAX_RULES} rules.")
        rules.append(_parse_line(line, number))
    return rules


def check_schedule(text: str | None) -> str:
    """For the programme form: the schedule cleaned up (one rule a line, no blank lines), or ScheduleError."""
    parse_schedule(text)
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


class PlannedFollowUp(NamedTuple):
    position: int
    due_on: date
    label: str


def _numbered(label: str, k: int, count: int) -> str:
    if count == 1:
        return label
    suffix = f" ({k} of {count})"
    if len(label) + len(suffix) > MAX_LABEL:  # the column holds 200 characters: shorten the name, keep the number
        label = label[: MAX_LABEL - len(suffix) - 1].rstrip() + "…"
    return label + suffix


def plan_follow_ups(rules: list[Rule], discharged_on: date) -> list[PlannedFollowUp]:
    """The follow-ups of `rules` for a discharge date, numbered 1, 2, ... in date order (ties: schedule order)."""
    dated = [
        (due_on, index, k, _numbered(rule.label, k, rule.count))
        for index, rule in enumerate(rules)
        for k, due_on in enumerate(rule.due_dates(discharged_on), start=1)
    ]
    dated.sort()
    return [PlannedFollowUp(position, due_on, label) for position, (due_on, _, _, label) in enumerate(dated, start=1)]


# ---------------------------------------------------------------------------------------------- generating


def _has_follow_ups(case_id: int) -> bool:
    return db.session.scalar(select(FollowUp.id).where(FollowUp.case_id == case_id).limit(1)) is not None


def generate_follow_ups(case: Case, actor_id: int | None, discharged_on: date | None = None) -> list[FollowUp]:
    """Create the follow-ups the case's programme schedules after discharge (today, UTC, unless given).

    Idempotent: a case that already has follow-ups gets none. A case without a programme, or whose programme has no
    schedule, gets none either, without error. A schedule that cannot be read is refused with its line number.
    """
    if _has_follow_ups(case.id) or case.programme_id is None:
        return []
    programme = db.session.get(Programme, case.programme_id)
    if programme is None or not (programme.follow_up_schedule or "").strip():
        return []
    try:
        rules = parse_schedule(programme.follow_up_schedule)
    except ScheduleError as error:
        raise FollowUpError(
            f"The follow-ups of the programme {programme.name} cannot be planned. {error.message} "
            "Correct the schedule in the directory, then try again."
        ) from None
    discharged_on = discharged_on or utcnow().date()
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


def on_discharge(case: Case, actor_id: int) -> None:
    """Hook for cases.operations.state_entered_hooks["discharged"]: plan the follow-ups from today."""
    generate_follow_ups(case, actor_id)


# ---------------------------------------------------------------------------------------------- one follow-up


def get_follow_up(follow_up_id: int, *, for_update: bool = False) -> FollowUp:
    query = select(FollowUp).where(FollowUp.id == follow_up_id)
    if for_update:
        # Two coordinators acting on the same follow-up at once: the second waits, then sees the first one's change.
        query = query.with_for_update()
    follow_up = db.session.scalar(query)
    if follow_up is None:
        raise NotFound("There is no such follow-up.")
    return follow_up


def _changeable(follow_up_id: int, action: str) -> tuple[FollowUp, Case]:
    follow_up = get_follow_up(follow_up_id, for_update=True)
    if follow_up.status != "due":
        state = "done" if follow_up.status == "done" else "cancelled"
        raise FollowUpError(f"“{follow_up.label}” is already {state}; only a due follow-up can be {action}.")
    return follow_up, db.session.get(Case, follow_up.case_id)


def _reason(reason: str | None, what: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise FollowUpError(f"Give the reason for {what}.")
    if len(reason) > MAX_REASON:
        raise FollowUpError(f"Keep the reason to {MAX_REASON} characters (it has {len(reason)}).")
    return reason


def mark_done(follow_up_id: int, result: str | None, done_on: date | None, actor_id: int) -> FollowUp:
    """Record that a due follow-up took place: a short result (3 to 2000 characters) and the day, not in the future.

    The result is medical: it stays on the follow-up and out of the timeline, which finance also reads.
    """
    follow_up, case = _changeable(follow_up_id, "marked done")
    result = (result or "").strip()
    low, high = RESULT_LENGTH
    if len(result) < low:
        raise FollowUpError(f"Write down the result of “{follow_up.label}” (at least {low} characters).")
    if len(result) > high:
        raise FollowUpError(f"Keep the result to {high} characters (it has {len(result)}).")
    if done_on is None:
        raise FollowUpError("Give the day the follow-up took place.")
    if done_on > utcnow().date():
        raise FollowUpError("The day the follow-up took place cannot be in the future.")
    follow_up.status, follow_up.result, follow_up.done_on = "done", result, done_on
    follow_up.done_at, follow_up.done_by_id = utcnow(), actor_id
    db.session.flush()
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
        raise FollowUpError("Give the new date.")
    if due_on < today:
        raise FollowUpError("The new date cannot be in the past.")
    if due_on.year > today.year + MAX_REACH_YEARS:
        raise FollowUpError(f"The new date is more than {MAX_REACH_YEARS} years away.")
    if due_on == follow_up.due_on:
        raise FollowUpError(f"“{follow_up.label}” is already due on {due_on.isoformat()}.")
    reason = _reason(reason, "moving the follow-up")
    before = follow_up.due_on
    follow_up.due_on = due_on
    db.session.flush()
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
    reason = _reason(reason, "cancelling the follow-up")
    follow_up.status = "cancelled"
    db.session.flush()
    record_case_event(
        case,
        "follow_up",
        actor_id,
        note=f"Follow-up {follow_up.label} (due {follow_up.due_on.isoformat()}) cancelled: {reason}",
        audit={"follow_up_id": follow_up.id, "status": "cancelled"},
    )
    return follow_up


# ---------------------------------------------------------------------------------------------- lists


class FollowUpItem(NamedTuple):
    """A follow-up with its case; the case has its patient and coordinator loaded."""

    follow_up: FollowUp
    case: Case


def _with_case():
    return (
        select(FollowUp, Case)
        .join(Case, Case.id == FollowUp.case_id)
        .options(joinedload(Case.patient), joinedload(Case.coordinator))
    )


def follow_up_with_case(follow_up_id: int) -> FollowUpItem:
    """One follow-up with its case, patient, coordinator and who marked it done (one statement); 404 if none."""
    row = db.session.execute(
        _with_case().where(FollowUp.id == follow_up_id).options(joinedload(FollowUp.done_by))
    ).one_or_none()
    if row is None:
        raise NotFound("There is no such follow-up.")
    return FollowUpItem(*row)


def case_follow_ups(case_id: int) -> list[FollowUp]:
    """A case's follow-ups in their planned order, each with who marked it done (one statement)."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.case_id == case_id)
            .options(joinedload(FollowUp.done_by))
            .order_by(FollowUp.position)
        )
    )


def _due_conditions(coordinator_id: int | None):
    conditions = [FollowUp.status == "due"]
    if coordinator_id is not None:
        conditions.append(Case.coordinator_id == coordinator_id)
    return conditions


def due_follow_ups(
    coordinator_id: int | None,
    *,
    until: date,
    overdue_only: bool = False,
    today: date | None = None,
    page: int = 1,
) -> Page[FollowUpItem]:
    """Due follow-ups up to `until` (overdue ones included), earliest first; of one coordinator's cases or (None) all.

    Two statements whatever the number: a count and one page with case, patient and coordinator.
    """
    today = today or utcnow().date()
    conditions = _due_conditions(coordinator_id)
    conditions.append(FollowUp.due_on < today if overdue_only else FollowUp.due_on <= until)
    total = (
        db.session.scalar(
            select(func.count()).select_from(FollowUp).join(Case, Case.id == FollowUp.case_id).where(*conditions)
        )
        or 0
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        _with_case()
        .where(*conditions)
        .order_by(FollowUp.due_on, Case.number, FollowUp.position)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page(items=[FollowUpItem(*row) for row in rows], page=page, pages=pages, total=total, per_page=PAGE_SIZE)


def overdue_count(coordinator_id: int | None, today: date | None = None) -> int:
    """Due follow-ups whose day has passed (before today, UTC), of one coordinator's cases or (None) all."""
    today = today or utcnow().date()
    return (
        db.session.scalar(
            select(func.count())
            .select_from(FollowUp)
            .join(Case, Case.id == FollowUp.case_id)
            .where(*_due_conditions(coordinator_id), FollowUp.due_on < today)
        )
        or 0
    )


def overdue_follow_ups(
    coordinator_id: int | None, today: date | None = None, limit: int = OVERDUE_SHOWN
) -> list[FollowUpItem]:
    """The most overdue follow-ups first, at most `limit`, with case, patient and coordinator (one statement)."""
    today = today or utcnow().date()
    rows = db.session.execute(
        _with_case()
        .where(*_due_conditions(coordinator_id), FollowUp.due_on < today)
        .order_by(FollowUp.due_on, Case.number, FollowUp.position)
        .limit(limit)
    ).all()
    return [FollowUpItem(*row) for row in rows]
