"""Forms of the billing pages: importing a tariff file, searching a tariff."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from backoffice.billing.tariffs.kinds import INTERNATIONAL, RESIDENT
from backoffice.forms import FlaskForm


class TariffImportForm(FlaskForm):
    """Only the upload's shape; what a tariff file must contain is checked by `tariffs.importing.import_tariff`."""

    file = FileField(
        _l("Tariff file (CSV)"),
        validators=[FileRequired(message=_l("Choose a CSV file to import."))],
        render_kw={"accept": ".csv,text/csv"},
        description=_l(
            "Header code,description,resident_price,currency,valid_from,valid_to (and optionally kind: resident or "
            "international, the same on every row); prices with a dot (up to 4 decimals), dates as YYYY-MM-DD, an "
            "empty valid_to is open-ended."
        ),
    )
    # Checked by `tariffs.kinds.import_kind`: a file's kind column that disagrees with this choice is refused.
    kind = SelectField(
        _l("Import as"),
        choices=[
            SelectChoice(RESIDENT, _l("Resident tariff")),
            SelectChoice(INTERNATIONAL, _l("International price list")),
        ],
        validate_choice=False,
        description=_l("A file with a kind column must say the same."),
    )


class TariffSearchForm(FlaskForm):
    """The search box and date filter of a tariff page, read from the query string (GET, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Search"),
        validators=[Length(max=100, message=_l("Search for at most 100 characters."))],
        render_kw={"maxlength": 100, "placeholder": _l("Code prefix or description words")},
    )
    valid_on = DateField(
        _l("Valid on"),
        validators=[Optional()],
        format="%Y-%m-%d",
        description=_l("Empty: every version."),
    )

    def valid_on_error(self) -> str | None:
        if self.valid_on.errors:
            raw = (self.valid_on.raw_data or [""])[0][:20]
            return _("“%(text)s” is not a date; write it as YYYY-MM-DD. Showing every version.", text=raw)
        return None
