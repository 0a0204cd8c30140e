"""A programme's follow-up schedule: one rule a line, such as

    every 1 week x 8: Outpatient examination
    every 1 year x 5: Follow-up check

or in the words a programme's follow-up plan is written in:

    Stimulator adjustment after 4 weeks and 3 months
    PSA checks every 3 months for 2 years

Each rule counts from the discharge date: the weekly rule falls due at discharge + 1 week, + 2 weeks ... + 8 weeks,
the yearly one at discharge + 1 year ... + 5 years. Months and years are calendar months: a day the target month
lacks is clamped to its last day (31 January + 1 month = 28 or 29 February), always counted from the discharge date
itself, so 31 January + 2 months is 31 March. The follow-ups of all rules are numbered in date order; each label
says which one of its rule it is ("Outpatient examination (3 of 8)").

The directory checks a schedule when a programme is saved; logistics plans the follow-ups from it at discharge.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from flask_babel import gettext as _

from backoffice.errors import DomainError

UNITS = ("day", "week", "month", "year")
MAX_EVERY = 99
MAX_COUNT = 60
MAX_LABEL = 200
MAX_RULES = 20
MAX_REACH_YEARS = 50  # no follow-up is planned further than this after discharge (nor rescheduled beyond it)

# "every 1 week x 8: Outpatient examination"; the interval may be left out ("every week x 8: ..."), and the "x" may
# be a multiplication sign.
_RULE = re.compile(
    r"""^every \s+ (?:(?P<every>[0-9]+) \s*)? (?P<unit>[^\s0-9:]+)
        \s+ [x\N{MULTIPLICATION SIGN}] \s* (?P<count>[0-9]+) \s* : (?P<label>.*)$""",
    re.IGNORECASE | re.VERBOSE,
)
_EXAMPLE = "“every 1 week x 8: Outpatient examination”"
# "Stimulator adjustment after 4 weeks and 3 months": one follow-up at each time named.
_AFTER = re.compile(
    r"""^(?P<label>.+?) \s+ after \s+
        (?P<times>[0-9]+ \s* [^\s0-9,.]+ (?: \s* (?:,\s*and|,|and) \s* [0-9]+ \s* [^\s0-9,.]+ )*) \s* \.?$""",
    re.IGNORECASE | re.VERBOSE,
)
_TIME = re.compile(r"([0-9]+)\s*([^\s0-9,.]+)")
# "PSA checks every 3 months for 2 years": every 3 months, as many times as fit in 2 years.
_EVERY_FOR = re.compile(
    r"""^(?P<label>.+?) \s+ every \s+ (?:(?P<every>[0-9]+) \s*)? (?P<unit>[^\s0-9.]+)
        \s+ for \s+ (?P<span>[0-9]+) \s* (?P<span_unit>[^\s0-9.]+) \s* \.?$""",
    re.IGNORECASE | re.VERBOSE,
)
# How many of the smaller unit make one of the larger (only within days/weeks and months/years: weeks do not divide
# months).
_IN_UNITS = {("day", "day"): 1, ("week", "day"): 7, ("week", "week"): 1, ("month", "month"): 1, ("year", "month"): 12}
_IN_UNITS[("year", "year")] = 1


class ScheduleError(DomainError):
    """A line of a follow-up schedule that cannot be read; `line` is its number (1 = the first line)."""

    def __init__(self, line: int, problem: str):
        super().__init__(_("Follow-up schedule, line %(line)s: %(problem)s", line=line, problem=problem))
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
        if self.count == 1:
            return f"{self.label}: once, {self.every} {self.unit}{'s' if self.every != 1 else ''} after discharge"
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


def _too_long(label: str) -> str:
    return _("the name has %(length)s characters; at most %(max)s.", length=len(label), max=MAX_LABEL)


def _not_a_unit(word: str) -> str:
    return _("“%(word)s” is not a unit; use days, weeks, months or years.", word=word[:30])


def _count_out_of_range(count: int | str) -> str:
    return _("the number of follow-ups must be between 1 and %(max)s (it is %(value)s).", max=MAX_COUNT, value=count)


def _label(text: str, line: int) -> str:
    label = " ".join(text.split())
    if not label:
        raise ScheduleError(line, _("name the follow-up after the colon, such as “Outpatient examination”."))
    if len(label) > MAX_LABEL:
        raise ScheduleError(line, _too_long(label))
    return label


def _after_rules(match: re.Match, line: int) -> list[Rule]:
    """ "Stimulator adjustment after 4 weeks and 3 months": one follow-up 4 weeks and one 3 months after discharge."""
    label = _label(match["label"], line)
    rules = []
    for digits, word in _TIME.findall(match["times"]):
        unit = _unit(word)
        if unit is None:
            raise ScheduleError(line, _not_a_unit(word))
        amount = _whole_number(digits, MAX_EVERY)
        if amount is None or not _within_reach(unit, amount):
            raise ScheduleError(
                line, _("%(amount)s %(unit)ss after discharge is out of reach.", amount=_shown(digits), unit=unit)
            )
        when = f"after {amount} {unit}{'s' if amount != 1 else ''}"
        rules.append(Rule(every=amount, unit=unit, count=1, label=_label(f"{label} ({when})", line), line=line))
    return rules


def _every_for_rule(match: re.Match, line: int) -> Rule:
    """ "PSA checks every 3 months for 2 years": every 3 months, 8 times."""
    unit, span_unit = _unit(match["unit"]), _unit(match["span_unit"])
    if unit is None or span_unit is None:
        raise ScheduleError(line, _("use days, weeks, months or years, as in “PSA checks every 3 months for 2 years”."))
    every = _whole_number(match["every"] or "1", MAX_EVERY)
    span = _whole_number(match["span"], MAX_REACH_YEARS * 366)
    factor = _IN_UNITS.get((span_unit, unit))
    if every is None or span is None or factor is None:
        raise ScheduleError(
            line,
            _(
                "“every %(unit)s for %(span_unit)ss” cannot be counted; write %(example)s instead.",
                unit=unit,
                span_unit=span_unit,
                example=_EXAMPLE,
            ),
        )
    count = span * factor // every
    if not 1 <= count <= MAX_COUNT or not _within_reach(unit, every * count):
        raise ScheduleError(line, _count_out_of_range(count))
    return Rule(every=every, unit=unit, count=count, label=_label(match["label"], line), line=line)


def _parse_words(text: str, line: int) -> list[Rule] | None:
    """The rules of a line written in words (see the module's docstring), or None when it is not such a line."""
    if match := _EVERY_FOR.match(text):
        return [_every_for_rule(match, line)]
    if match := _AFTER.match(text):
        return _after_rules(match, line)
    return None


def _parse_line(text: str, line: int) -> Rule:
    match = _RULE.match(text)
    if match is None:
        raise ScheduleError(
            line, _("write each rule as %(example)s (units: days, weeks, months or years).", example=_EXAMPLE)
        )
    unit = _unit(match["unit"])
    if unit is None:
        raise ScheduleError(line, _not_a_unit(match["unit"]))
    every = _whole_number(match["every"] or "1", MAX_EVERY)
    if every is None:
        shown = _shown(match["every"])
        raise ScheduleError(
            line,
            _(
                "the interval must be between 1 and %(max)s %(unit)ss (it is %(value)s).",
                max=MAX_EVERY,
                unit=unit,
                value=shown,
            ),
        )
    count = _whole_number(match["count"], MAX_COUNT)
    if count is None:
        shown = _shown(match["count"])
        raise ScheduleError(line, _count_out_of_range(shown))
    if not _within_reach(unit, every * count):
        raise ScheduleError(
            line,
            _("the last follow-up would fall more than %(years)s years after discharge.", years=MAX_REACH_YEARS),
        )
    label = " ".join(match["label"].split())
    if not label:
        raise ScheduleError(line, _("name the follow-up after the colon, such as “Outpatient examination”."))
    if len(label) > MAX_LABEL:
        raise ScheduleError(line, _too_long(label))
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
        words = None if _RULE.match(line) else _parse_words(line, number)
        line_rules = words if words is not None else [_parse_line(line, number)]
        if len(rules) + len(line_rules) > MAX_RULES:
            raise ScheduleError(number, _("a schedule holds at most %(max)s rules.", max=MAX_RULES))
        rules.extend(line_rules)
    return rules


def rules_in_plan(plan: str | None) -> list[Rule]:
    """The follow-ups a programme's free-text plan names in words ("Stimulator adjustment after 4 weeks and 3
    months."), sentence by sentence; sentences that name none ("Written report within 5 working days.") are left
    out. For a programme without a schedule: its plan is what the hospital wrote, so it is read, never refused."""
    rules: list[Rule] = []
    sentences = [part.strip() for line in (plan or "").splitlines() for part in re.split(r"(?<=\.)\s+", line)]
    for number, sentence in enumerate((s for s in sentences if s), start=1):
        try:
            words = _parse_words(sentence, number)
        except ScheduleError:
            continue
        rules.extend(words or [])
    return rules[:MAX_RULES]


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
