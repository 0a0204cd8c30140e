"""Directory forms. They check shape and length; the rules (codes, countries, prices, lines) live in operations,
programmes and values."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from backoffice.directory import programmes, values
from backoffice.forms import FlaskForm
from backoffice.geo import countries
from backoffice.languages import page_language


def country_choices() -> list[SelectChoice]:
    """Every country by its name in the page's language (the stored value stays the two-letter code)."""
    named = countries(page_language()).items()
    return [SelectChoice("", _("Choose a country")), *(SelectChoice(code, name) for code, name in named)]


class CountryForm(FlaskForm):
    """A form with a `country` choice, listed in the page's language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class HospitalForm(CountryForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=values.CODE_MAX)],
        description=_l("Capital letters and digits joined by dashes, such as FRA-ABM. Unique."),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    timezone = StringField(
        _l("Time zone"),
        default="Europe/Berlin",
        validators=[DataRequired(), Length(max=64)],
        description=_l("IANA name, such as Europe/Berlin or Asia/Seoul: appointment times are shown in it."),
    )
    languages = StringField(
        _l("Languages spoken by staff"),
        validators=[Length(max=200)],
        description=_l("Two-letter codes separated by commas, such as de, en, ru."),
    )
    address = StringField(_l("Address"), validators=[Length(max=300)])
    contact_name = StringField(_l("Contact person"), validators=[Length(max=120)])
    contact_email = EmailField(
        _l("Contact email"),
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=40)])
    vat_id = StringField(
        _l("VAT ID"),
        validators=[Length(max=40)],
        render_kw={"placeholder": "DE811234567", "autocomplete": "off"},
        description=_l(
            "The hospital's VAT identification number. An e-invoice from the hospital is received only when its "
            "seller's VAT ID is this one."
        ),
    )
    # Checked by `directory.values.foreign_coefficient` (1 to 5, at most 4 decimals, its source required).
    foreign_coefficient = StringField(
        _l("Foreign-patient coefficient"),
        validators=[Length(max=20)],
        render_kw={"inputmode": "decimal", "placeholder": "1.8"},
        description=_l(
            "What a foreign patient pays here as a multiple of the resident price (1.8 for 80% more), used where the "
            "hospital has no international price list. Empty: no saving is claimed without a list."
        ),
    )
    foreign_coefficient_source = StringField(
        _l("Source of the coefficient"),
        validators=[Length(max=values.COEFFICIENT_SOURCE_MAX)],
        description=_l(
            "Where the figure comes from, such as “Hospital's price list for international patients, 2026”."
        ),
    )


class PhysicianForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    specialty = StringField(_l("Specialty"), validators=[DataRequired(), Length(max=120)])
    languages = StringField(
        _l("Languages"),
        validators=[Length(max=200)],
        description=_l("Two-letter codes separated by commas, such as de, en."),
    )
    email = EmailField(
        _l("Email"),
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    phone = StringField(
        _l("Phone"), validators=[Length(max=40)], description=_l("Digits, spaces and + ( ) - . / only.")
    )


class PhysicianEditForm(PhysicianForm):
    active = BooleanField(_l("Active (can be chosen for cases)"))


class ProgrammeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)], render_kw={"rows": 5})
    price_from_amount = StringField(
        _l("Price from"),
        validators=[Length(max=30)],
        description=_l("Indicative price, such as 17650.00. Leave empty when the hospital gives none."),
    )
    price_from_currency = StringField(
        _l("Currency"), default="EUR", validators=[Length(max=3)], description=_l("ISO 4217 code, such as EUR, USD.")
    )
    typical_stay_days = IntegerField(
        _l("Typical length of stay (days)"),
        validators=[Optional(), NumberRange(min=0, max=programmes.MAX_STAY_DAYS)],
    )
    follow_up_plan = TextAreaField(_l("Follow-up plan"), validators=[Length(max=20000)], render_kw={"rows": 5})
    tariff_codes = TextAreaField(
        _l("Tariff codes of the programme"),
        validators=[Length(max=20000)],
        render_kw={"rows": 3},
        description=_l(
            "The resident-tariff codes the programme consists of, separated by commas or lines. A hospital "
            "bill line with another code is flagged for review. Leave empty to skip that check."
        ),
    )
    follow_up_schedule = TextAreaField(
        _l("Follow-up schedule"),
        validators=[Length(max=5000)],
        render_kw={"rows": 3},
        description=_l(
            "One rule a line, counted from discharge, e.g. “every 1 week x 8: Outpatient examination” or "
            "“Stimulator adjustment after 4 weeks and 3 months”. At discharge these become the case's follow-up "
            "appointments; without a schedule, the follow-ups the plan names that way are planned."
        ),
    )
    phases = TextAreaField(
        _l("Phases, in order"),
        validators=[Length(max=20000)],
        render_kw={"rows": 6},
        description=_l(
            "One phase a line: Name | duration | days, such as “Leukocytapheresis | 1 week | 7”. "
            "Duration and days may be left out."
        ),
    )
    contraindications = TextAreaField(
        _l("Contraindications, in order"),
        validators=[Length(max=20000)],
        render_kw={"rows": 6},
        description=_l("One a line: Question | resolution hint, such as “Pregnancy | after birth”."),
    )

    # The lines are read by the operations' parsers, so a wrong line is marked on its field with its number.
    def validate_phases(self, field) -> None:
        try:
            self.parsed_phases = programmes.parse_phases(field.data)
        except values.DirectoryError as error:
            raise ValidationError(error.message) from None

    def validate_contraindications(self, field) -> None:
        try:
            self.parsed_contraindications = programmes.parse_contraindications(field.data)
        except values.DirectoryError as error:
            raise ValidationError(error.message) from None


class ProgrammeEditForm(ProgrammeForm):
    active = BooleanField(_l("Active (can be chosen for cases)"))


class PauseDestinationForm(CountryForm):
    country = SelectField(_l("Country"), validators=[DataRequired()])
    reason = StringField(
        _l("Reason"), validators=[Length(max=300)], description=_l("Why intake is paused, for colleagues.")
    )
