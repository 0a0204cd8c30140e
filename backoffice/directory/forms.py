"""Directory forms. They check shape and length; the rules (codes, countries, prices, lines) live in operations,
programmes and values."""

from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from backoffice.directory import programmes, values
from backoffice.forms import FlaskForm
from backoffice.geo import countries


def country_choices(placeholder: str = "Choose a country") -> list[SelectChoice]:
    return [SelectChoice("", placeholder), *(SelectChoice(code, name) for code, name in countries().items())]


class HospitalForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=values.CODE_MAX)],
        description="Capital letters and digits joined by dashes, such as FRA-ABM. Unique.",
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    city = StringField("City", validators=[DataRequired(), Length(max=100)])
    country = SelectField("Country", choices=country_choices(), validators=[DataRequired()])
    timezone = StringField(
        "Time zone",
        default="Europe/Berlin",
        validators=[DataRequired(), Length(max=64)],
        description="IANA name, such as Europe/Berlin or Asia/Seoul: appointment times are shown in it.",
    )
    languages = StringField(
        "Languages spoken by staff",
        validators=[Length(max=200)],
        description="Two-letter codes separated by commas, such as de, en, ru.",
    )
    address = StringField("Address", validators=[Length(max=300)])
    contact_name = StringField("Contact person", validators=[Length(max=120)])
    contact_email = EmailField(
        "Contact email",
        validators=[
            Optional(),
            Length(max=254),
            Email(message="Enter a valid email address.", check_deliverability=False),
        ],
    )
    contact_phone = StringField("Contact phone", validators=[Length(max=40)])


class PhysicianForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    specialty = StringField("Specialty", validators=[DataRequired(), Length(max=120)])
    languages = StringField(
        "Languages", validators=[Length(max=200)], description="Two-letter codes separated by commas, such as de, en."
    )
    email = EmailField(
        "Email",
        validators=[
            Optional(),
            Length(max=254),
            Email(message="Enter a valid email address.", check_deliverability=False),
        ],
    )
    phone = StringField("Phone", validators=[Length(max=40)], description="Digits, spaces and + ( ) - . / only.")


class PhysicianEditForm(PhysicianForm):
    active = BooleanField("Active (can be chosen for cases)")


class ProgrammeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=20000)], render_kw={"rows": 5})
    price_from_amount = StringField(
        "Price from",
        validators=[Length(max=30)],
        description="Indicative price, such as 17650.00. Leave empty when the hospital gives none.",
    )
    price_from_currency = StringField(
        "Currency", default="EUR", validators=[Length(max=3)], description="ISO 4217 code, such as EUR, USD."
    )
    typical_stay_days = IntegerField(
        "Typical length of stay (days)",
        validators=[Optional(), NumberRange(min=0, max=programmes.MAX_STAY_DAYS)],
    )
    follow_up_plan = TextAreaField("Follow-up plan", validators=[Length(max=20000)], render_kw={"rows": 5})
    tariff_codes = TextAreaField(
        "Tariff codes of the programme",
        validators=[Length(max=20000)],
        render_kw={"rows": 3},
        description="The resident-tariff codes the programme consists of, separated by commas or lines. A hospital "
        "bill line with another code is flagged for review. Leave empty to skip that check.",
    )
    follow_up_schedule = TextAreaField(
        "Follow-up schedule",
        validators=[Length(max=5000)],
        render_kw={"rows": 3},
        description="One rule a line, counted from discharge, e.g. “every 1 week x 8: Outpatient examination” or "
        "“Stimulator adjustment after 4 weeks and 3 months”. At discharge these become the case's follow-up "
        "appointments; without a schedule, the follow-ups the plan names that way are planned.",
    )
    phases = TextAreaField(
        "Phases, in order",
        validators=[Length(max=20000)],
        render_kw={"rows": 6},
        description="One phase a line: Name | duration | days, such as “Leukocytapheresis | 1 week | 7”. "
        "Duration and days may be left out.",
    )
    contraindications = TextAreaField(
        "Contraindications, in order",
        validators=[Length(max=20000)],
        render_kw={"rows": 6},
        description="One a line: Question | resolution hint, such as “Pregnancy | after birth”.",
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
    active = BooleanField("Active (can be chosen for cases)")


class PauseDestinationForm(FlaskForm):
    country = SelectField("Country", choices=country_choices(), validators=[DataRequired()])
    reason = StringField("Reason", validators=[Length(max=300)], description="Why intake is paused, for colleagues.")
