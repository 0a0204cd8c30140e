from flask_babel import lazy_gettext
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from backoffice import geo
from backoffice.directory.operations import open_destinations, paused_countries
from backoffice.forms import FlaskForm, choices
from backoffice.languages import PATIENT_LANGUAGES, page_language

CONSENT_LABEL = lazy_gettext(
    "I agree that the operator processes the health data in this request (and in the medical records I send later) "
    "to find and arrange treatment for me, and shares it with the hospitals it proposes for that purpose."
)


class RequestForm(FlaskForm):
    """The public treatment request, in the visitor's language (its preferred language starts as the page's).
    `website` is a honeypot: hidden from people, filled in by form-filling bots."""

    name = StringField(
        lazy_gettext("Patient's full name"),
        validators=[DataRequired(lazy_gettext("Enter the patient's name.")), Length(max=120)],
    )
    email = EmailField(
        lazy_gettext("Email"),
        validators=[
            DataRequired(lazy_gettext("Enter an email address we can answer to.")),
            Length(max=254),
            Email(message=lazy_gettext("Enter a valid email address."), check_deliverability=False),
        ],
    )
    phone = StringField(
        lazy_gettext("Phone (optional)"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[0-9 +()\-]*$", message=lazy_gettext("A phone number holds only digits, spaces and + ( ) -.")),
        ],
        description=lazy_gettext("With the country code, e.g. +971 50 123 4567. WhatsApp is fine."),
    )
    country = SelectField(
        lazy_gettext("Country of residence"),
        validators=[DataRequired(lazy_gettext("Choose the country you live in."))],
    )
    preferred_language = SelectField(
        lazy_gettext("Preferred language"),
        default=page_language,
        description=lazy_gettext("We write to you in this language."),
    )
    requested_treatment = StringField(
        lazy_gettext("Diagnosis or treatment wanted"),
        validators=[
            DataRequired(lazy_gettext("Tell us the diagnosis or the treatment you are looking for.")),
            Length(max=300),
        ],
        description=lazy_gettext("For example: type 1 diabetes, knee replacement, second opinion on a tumour."),
    )
    destination_country = SelectField(lazy_gettext("Where would you like to be treated?"))
    message = TextAreaField(
        lazy_gettext("Anything else we should know (optional)"),
        validators=[Optional(), Length(max=5000)],
        description=lazy_gettext(
            "Previous treatment, how urgent it is, who will travel with the patient. "
            "Please do not attach records here; your coordinator will ask for them."
        ),
    )
    consent = BooleanField(
        CONSENT_LABEL, validators=[DataRequired(lazy_gettext("We can only take the request with this consent."))]
    )
    website = StringField(lazy_gettext("Leave this field empty"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = page_language()
        countries = list(geo.countries(language).items())
        self.country.choices = choices([("", lazy_gettext("Choose a country")), *countries])
        # The languages we write in first, then every other (a coordinator may still speak it).
        # Russian writes language names in lower case; a list of choices starts each with a capital.
        names = {code: name[:1].upper() + name[1:] for code, name in geo.languages(language).items()}
        ours = [(code, names[code]) for code in PATIENT_LANGUAGES]
        others = [(code, name) for code, name in names.items() if code not in PATIENT_LANGUAGES]
        self.preferred_language.choices = choices([*ours, *others])
        # Where we arrange treatment, and the destinations paused for now (so that the refusal can say so).
        paused = [
            (code, lazy_gettext("%(country)s (requests paused)", country=geo.country_name(code, language)))
            for code in paused_countries()
        ]
        destinations = sorted([*destinations_in(language), *paused], key=lambda item: str(item[1]))
        self.destination_country.choices = choices([("", lazy_gettext("No preference")), *destinations])


def destinations_in(language: str) -> list[tuple[str, str]]:
    """The open destinations, (code, name) with the name in `language`, by name."""
    named = ((code, geo.country_name(code, language)) for code, _english in open_destinations())
    return sorted(named, key=lambda item: item[1])
