"""Forms of the billing pages: importing a tariff file, searching a tariff."""

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional

from backoffice.forms import FlaskForm


class TariffImportForm(FlaskForm):
    """Only the upload's shape; what a tariff file must contain is checked by `tariffs.importing.import_tariff`."""

    file = FileField(
        "Tariff file (CSV)",
        validators=[FileRequired(message="Choose a CSV file to import.")],
        render_kw={"accept": ".csv,text/csv"},
        description="Header code,description,resident_price,currency,valid_from,valid_to; "
        "prices with a dot (up to 4 decimals), dates as YYYY-MM-DD, an empty valid_to is open-ended.",
    )


class TariffSearchForm(FlaskForm):
    """The search box and date filter of a tariff page, read from the query string (GET, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(
        "Search",
        validators=[Length(max=100, message="Search for at most 100 characters.")],
        render_kw={"maxlength": 100, "placeholder": "Code prefix or description words"},
    )
    valid_on = DateField(
        "Valid on",
        validators=[Optional()],
        format="%Y-%m-%d",
        description="Empty: every version.",
    )

    def valid_on_error(self) -> str | None:
        if self.valid_on.errors:
            raw = (self.valid_on.raw_data or [""])[0][:20]
            return f"“{raw}” is not a date; write it as YYYY-MM-DD. Showing every version."
        return None
