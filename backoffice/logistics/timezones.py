"""Local wall-clock times <-> UTC instants, refusing the times a DST change skips or makes ambiguous."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _

from backoffice.errors import DomainError
from backoffice.geo import known_timezones


class TimeError(DomainError):
    pass


def zone(name: str) -> ZoneInfo:
    if name not in known_timezones():
        raise TimeError(_("%(zone)r is not a time zone (use IANA names such as Europe/Berlin)", zone=name))
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise TimeError(_("%(zone)r is not a time zone (use IANA names such as Europe/Berlin)", zone=name)) from None


def to_utc(local: datetime, tz_name: str) -> datetime:
    """The UTC instant of a wall-clock time in `tz_name`.

    A time that does not exist there (skipped when the clocks go forward) is refused with a message rather than
    silently shifted by an hour; a time that happens twice (when they go back) is taken as its first occurrence,
    as timetables do.
    """
    if local.tzinfo is not None:
        raise TimeError("expected a local wall-clock time without a zone")
    tz = zone(tz_name)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if round_trip != local:
            when = local.strftime("%Y-%m-%d %H:%M")
            raise TimeError(
                _(
                    "%(when)s does not exist in %(zone)s: the clocks jump forward then. Choose another time.",
                    when=when,
                    zone=tz_name,
                )
            )
    return first.astimezone(UTC)


def to_local(instant: datetime, tz_name: str) -> datetime:
    """The wall-clock time in `tz_name` of a UTC instant (timezone-aware)."""
    return instant.astimezone(zone(tz_name))


def combine(day: date, at: time, tz_name: str) -> datetime:
    return to_utc(datetime.combine(day, at), tz_name)


# How a day is written in messages and findings ('Tue 08 Dec 2026'); `format_local` writes its instants the same way.
DAY_FORMAT = "%a %d %b %Y"


def format_day(day: date) -> str:
    """'Tue 08 Dec 2026': a calendar day (admission, discharge, a hotel night), as `format_local` writes its day."""
    return day.strftime(DAY_FORMAT)


def format_local(instant: datetime | None, tz_name: str, fmt: str = f"{DAY_FORMAT}, %H:%M") -> str:
    """'Tue 12 May 2026, 14:30 CEST' — the local time with its zone abbreviation."""
    if instant is None:
        return "—"
    local = to_local(instant, tz_name)
    return f"{local.strftime(fmt)} {local.tzname()}"


def local_span(starts_at: datetime, ends_at: datetime, tz_name: str) -> str:
    """'Tue 12 May 2026, 10:00-12:00 CEST': a booking's time at its place."""
    start, end = to_local(starts_at, tz_name), to_local(ends_at, tz_name)
    text = start.strftime("%a %d %b %Y, %H:%M")
    if end.date() == start.date():
        return f"{text}-{end.strftime('%H:%M')} {end.tzname()}"
    return f"{text} {start.tzname()} - {end.strftime('%a %d %b %Y, %H:%M')} {end.tzname()}"


# ---------------------------------------------------------------------------------- in the reader's language
# Staff pages and their messages write days and times in the page's language ('Mi. 06. Jan. 2027, 09:00 CET');
# English keeps the forms above, and so does whatever is stored or machine-read (timeline notes, calendars), which
# is made in English.
LOCAL_PATTERN = "EEE dd. MMM yyyy, HH:mm"
DAY_PATTERN = "EEE dd. MMM yyyy"


def _reader_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def shown_local(instant: datetime | None, tz_name: str, fmt: str | None = None) -> str:
    """`format_local` in the page's language (a `fmt` of digits only, such as '%H:%M', is the same in every one)."""
    language = _reader_language()
    if language == "en" or fmt is not None or instant is None:
        return format_local(instant, tz_name) if fmt is None else format_local(instant, tz_name, fmt)
    local = to_local(instant, tz_name)
    return f"{format_datetime(local, LOCAL_PATTERN, locale=language)} {local.tzname()}"


def shown_day(day: date) -> str:
    """`format_day` in the page's language."""
    language = _reader_language()
    return format_day(day) if language == "en" else format_date(day, DAY_PATTERN, locale=language)


def shown_span(starts_at: datetime, ends_at: datetime, tz_name: str) -> str:
    """`local_span` in the page's language."""
    language = _reader_language()
    if language == "en":
        return local_span(starts_at, ends_at, tz_name)
    start, end = to_local(starts_at, tz_name), to_local(ends_at, tz_name)
    text = format_datetime(start, LOCAL_PATTERN, locale=language)
    if end.date() == start.date():
        return f"{text}-{end.strftime('%H:%M')} {end.tzname()}"
    return f"{text} {start.tzname()} - {format_datetime(end, LOCAL_PATTERN, locale=language)} {end.tzname()}"
