"""Follow-up forms and the due list's filters. Forms check shape and length; the rules live in follow_ups."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from backoffice.auth.permissions import COORDINATOR
from backoffice.errors import DomainError
from backoffice.forms import FlaskForm
from backoffice.logistics.follow_ups.operations import MAX_REASON, RESULT_LENGTH

DATE_MESSAGE = _l("Enter the date as YYYY-MM-DD.")


class _ReturningForm(FlaskForm):
    # Where to go after the change: the due list (with its filters) or the case page. Only our own paths are followed.
    back_to = HiddenField(validators=[Optional(), Length(max=500)])


class DoneForm(_ReturningForm):
    result = TextAreaField(
        _l("Result"),
        validators=[
            DataRequired(message=_l("Write down the result.")),
            Length(
                min=RESULT_LENGTH[0],
                max=RESULT_LENGTH[1],
                message=_l("Write the result in %(min)d to %(max)d characters."),
            ),
        ],
        description=_l("What the examination found, in a few words."),
        render_kw={"rows": 3},
    )
    done_on = DateField(_l("Took place on"), validators=[DataRequired(message=DATE_MESSAGE)])


class RescheduleForm(_ReturningForm):
    due_on = DateField(_l("New date"), validators=[DataRequired(message=DATE_MESSAGE)])
    reason = StringField(
        _l("Reason"),
        id="reschedule_reason",
        validators=[DataRequired(message=_l("Give the reason for moving it.")), Length(max=MAX_REASON)],
    )


class CancelForm(_ReturningForm):
    reason = StringField(
        _l("Reason"),
        id="cancel_reason",
        validators=[DataRequired(message=_l("Give the reason for cancelling it.")), Length(max=MAX_REASON)],
    )


class AddFollowUpForm(FlaskForm):
    label = StringField(
        _l("Follow-up"),
        id="add_follow_up_label",
        validators=[DataRequired(message=_l("Name the follow-up.")), Length(max=200)],
        description=_l("Such as “Stimulator adjustment”."),
    )
    due_on = DateField(_l("Due on"), id="add_follow_up_due_on", validators=[DataRequired(message=DATE_MESSAGE)])


def safe_back_to(value: str | None) -> str | None:
    """`value` when it is a path of this site ("/cases/7#follow-ups"), else None: never a redirect elsewhere."""
    value = (value or "").strip()
    if not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return None
    if any(ord(char) < 32 for char in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


# ---------------------------------------------------------------------------------------------- the due list's filters

MINE, ALL = "mine", "all"
DEFAULT_WITHIN_DAYS = 14
MAX_WITHIN_DAYS = 3650
TRUE_VALUES = ("1", "on", "true", "yes")
DIGITS = re.compile(r"^[0-9]{1,9}$")


class FilterError(DomainError):
    """A filter in the URL means nothing (the page was not built by our own form)."""

    status_code = 400


@dataclass(frozen=True)
class DueFilters:
    who: str  # MINE or ALL
    within_days: int
    overdue: bool
    page: int

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, role: str) -> DueFilters:
        """Coordinators see their own cases unless they ask for all; administrators see all unless they ask."""
        who = (args.get("who") or "").strip().lower() or (MINE if role == COORDINATOR else ALL)
        if who not in (MINE, ALL):
            raise FilterError(_("Show “mine” or “all” follow-ups, not %(value)r.", value=who[:30]))
        within = (args.get("within") or "").strip()
        if not within:
            within_days = DEFAULT_WITHIN_DAYS
        elif DIGITS.match(within) and int(within) <= MAX_WITHIN_DAYS:
            within_days = int(within)
        else:
            raise FilterError(_("“Due within” takes a whole number of days from 0 to %(most)d.", most=MAX_WITHIN_DAYS))
        page = (args.get("page") or "").strip()
        return cls(
            who=who,
            within_days=within_days,
            overdue=(args.get("overdue") or "").strip().lower() in TRUE_VALUES,
            page=int(page) if DIGITS.match(page) and int(page) > 0 else 1,
        )
