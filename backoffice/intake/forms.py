from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from backoffice import geo
from backoffice.directory.operations import open_destinations, paused_countries
from backoffice.forms import FlaskForm, choices

CONSENT_LABEL = (
    "I agree that the operator processes the health data in this request (and in the medical records I send later) "
    "to find and arrange treatment for me, and shares it with the hospitals it proposes for that purpose."
)


class RequestForm(FlaskForm):
    """The public treatment request. `website` is a honeypot: hidden from people, filled in by form-filling bots."""

    name = StringField("Patient's full name", validators=[DataRequired("Enter the patient's name."), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter an email address we can answer to."),
            Length(max=254),
            Email(message="Enter a valid email address.", check_deliverability=False),
        ],
    )
    phone = StringField(
        "Phone (optional)",
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[0-9 +()\-]*$", message="A phone number holds only digits, spaces and + ( ) -."),
        ],
        description="With the country code, e.g. +971 50 123 4567. WhatsApp is fine.",
    )
    country = SelectField("Country of residence", validators=[DataRequired("Choose the country you live in.")])
    preferred_language = SelectField("Preferred language", default="en")
    requested_treatment = StringField(
        "Diagnosis or treatment wanted",
        validators=[DataRequired("Tell us the diagnosis or the treatment you are looking for."), Length(max=300)],
        description="For example: type 1 diabetes, knee replacement, second opinion on a tumour.",
    )
    destination_country = SelectField("Where would you like to be treated?")
    message = TextAreaField(
        "Anything else we should know (optional)",
        validators=[Optional(), Length(max=5000)],
        description="Previous treatment, how urgent it is, who will travel with the patient. "
        "Please do not attach records here; your coordinator will ask for them.",
    )
    consent = BooleanField(CONSENT_LABEL, validators=[DataRequired("We can only take the request with this consent.")])
    website = StringField("Leave this field empty", validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = list(geo.countries().items())
        self.country.choices = choices([("", "Choose a country"), *countries])
        self.preferred_language.choices = choices(geo.languages().items())
        # Where we arrange treatment, and the destinations paused for now (so that the refusal can say so).
        paused = [(code, f"{geo.country_name(code)} (requests paused)") for code in paused_countries()]
        destinations = sorted([*open_destinations(), *paused], key=lambda item: item[1])
        self.destination_country.choices = choices([("", "No preference"), *destinations])
