"""The filters of finance's invoice list, read from its query string, and the period reading the receivables reports
share: a filter that names nothing that exists (a page not built by our own form) is a 400 saying which and why."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from flask_babel import gettext as _

from backoffice.errors import DomainError
from backoffice.invoicing.models import KINDS, STATUSES
from backoffice.params import page_number

MAX_SEARCH_LENGTH = 100
PERIOD_FIELDS = ("issued", "due")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")


class FilterError(DomainError):
    """A filter in the URL names nothing that exists (the page was not built by our own form)."""

    status_code = 400


def parse_day(args: Mapping[str, str], name: str, label: str) -> date | None:
    """The day in `args[name]` (YYYY-MM-DD, as a date field sends it), None when empty."""
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(
            _("%(field)s %(text)s is not a day (such as 2026-12-31).", field=label, text=repr(text[:20]))
        ) from None


def parse_period(args: Mapping[str, str], *, start: str = "from", end: str = "to") -> tuple[date | None, date | None]:
    """The first and last day of a period (either may be open); a period ending before it starts is refused."""
    first = parse_day(args, start, _("From"))
    last = parse_day(args, end, _("To"))
    if first and last and last < first:
        raise FilterError(_("The period ends before it starts: choose a “to” day on or after the “from” day."))
    return first, last


def parse_currency(args: Mapping[str, str]) -> str | None:
    text = (args.get("currency") or "").strip().upper()
    if not text:
        return None
    if not _CURRENCY.fullmatch(text):
        raise FilterError(_("%(text)s is not a currency code (such as EUR).", text=repr(text[:20])))
    return text


def _flag(args: Mapping[str, str], name: str) -> bool:
    """A checkbox of the filter form: ticked unless absent, empty or "0"."""
    return (args.get(name) or "").strip() not in ("", "0")


def _choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...], message: str) -> str | None:
    value = (args.get(name) or "").strip().lower() or None
    if value is not None and value not in allowed:
        raise FilterError(message % {"value": repr(value[:30])})
    return value


@dataclass(frozen=True)
class InvoiceFilters:
    """What the invoice list shows, cleaned from the query string.

    `open_only`: invoices with something left to pay; `overdue`: those of them past their due date in the operator's
    day. `period` chooses which date `date_from`/`date_to` bound: the issue date or the due date."""

    status: str | None = None
    kind: str | None = None
    q: str = ""
    open_only: bool = False
    overdue: bool = False
    currency: str | None = None
    period: str = "issued"
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InvoiceFilters:
        status = _choice(
            args, "status", STATUSES, _("There is no invoice status %(value)s; choose one from the filter.")
        )
        kind = _choice(args, "kind", KINDS, _("There is no kind of invoice %(value)s; choose one from the filter."))
        period = _choice(args, "period", PERIOD_FIELDS, _("There is no date %(value)s to filter by.")) or "issued"
        date_from, date_to = parse_period(args)
        return cls(
            status=status,
            kind=kind,
            q=" ".join((args.get("q") or "").split())[:MAX_SEARCH_LENGTH],
            open_only=_flag(args, "open"),
            overdue=_flag(args, "overdue"),
            currency=parse_currency(args),
            period=period,
            date_from=date_from,
            date_to=date_to,
            page=page_number(args.get("page")),
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.status
            or self.kind
            or self.q
            or self.open_only
            or self.overdue
            or self.currency
            or self.date_from
            or self.date_to
        )

    @property
    def query_args(self) -> dict[str, str]:
        """The filters as the query string that gives them (for the CSV link and the pager), page left out."""
        args = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in ("page", "period") or value in (None, "", False):
                continue
            name = {"open_only": "open", "date_from": "from", "date_to": "to"}.get(item.name, item.name)
            args[name] = "1" if value is True else str(value)
        if self.date_from or self.date_to:
            args["period"] = self.period
        return args
