"""The filters of the savings report, read from its query string: the year (this year by default) and the hospital
(every hospital by default); a filter that cannot be used is a 400 page saying which and why."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from backoffice.billing.savings.report import Period, year_period
from backoffice.directory.models import Hospital
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.params import positive_int

FIRST_YEAR, LAST_YEAR = 2000, 2100


class SavingsFilterError(DomainError):
    """A filter of the report that cannot be used; the message says which and why."""

    status_code = 400


@dataclass(frozen=True, slots=True)
class SavingsFilters:
    year: int
    hospital: Hospital | None

    @property
    def period(self) -> Period:
        return year_period(self.year)

    @property
    def query_args(self) -> dict[str, int]:
        args = {"year": self.year}
        if self.hospital is not None:
            args["hospital"] = self.hospital.id
        return args


def parse_filters(args: Mapping[str, str], *, today: date) -> SavingsFilters:
    """The year (this year when not given) and the hospital (all when not given) of the report's query string."""
    year_text = (args.get("year") or "").strip()
    if not year_text:
        year = today.year
    elif re.fullmatch(r"[0-9]{4}", year_text) and FIRST_YEAR <= int(year_text) <= LAST_YEAR:
        year = int(year_text)
    else:
        raise SavingsFilterError(
            _(
                "The year %(text)s is not a year between %(first)s and %(last)s (such as %(example)s).",
                text=repr(year_text[:20]),
                first=FIRST_YEAR,
                last=LAST_YEAR,
                example=today.year,
            )
        )
    hospital = None
    hospital_text = (args.get("hospital") or "").strip()
    if hospital_text:
        hospital_id = positive_int(hospital_text)
        hospital = db.session.get(Hospital, hospital_id) if hospital_id else None
        if hospital is None:
            raise SavingsFilterError(
                _("There is no hospital %(text)s: choose one from the list.", text=repr(hospital_text[:20]))
            )
    return SavingsFilters(year, hospital)
