from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from backoffice.cases.history import CHANNELS
from backoffice.forms import choices
from backoffice.geo import countries, languages


class VersionedForm(FlaskForm):
    """Carries the case version the user saw, so a change based on an older page is refused."""

    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


class TransitionForm(VersionedForm):
    to_state = HiddenField(validators=[DataRequired(), Length(max=20)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])


class AssignForm(VersionedForm):
    coordinator_id = SelectField("Coordinator", coerce=str, validate_choice=True)


class ProgrammeForm(VersionedForm):
    programme_id = SelectField("Programme", coerce=str, validate_choice=True)
    physician_id = SelectField("Physician", coerce=str, validate_choice=True)
    estimate_amount = StringField(
        "Cost estimate",
        validators=[Optional(), Length(max=20)],
        description="The hospital's estimate for this patient, e.g. 18450.00",
    )
    estimate_currency = StringField("Currency", default="EUR", validators=[Optional(), Length(min=3, max=3)])


class ResolveForm(VersionedForm):
    answer_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    resolution = StringField("How it was resolved", validators=[DataRequired(), Length(max=500)])
    resolved_on = DateField("On", validators=[DataRequired(message="Enter the date as YYYY-MM-DD.")])


class NoteForm(FlaskForm):
    kind = SelectField("Kind", choices=choices([("internal", "Internal note"), ("message", "Message record")]))
    channel = SelectField("Channel", choices=choices([("", "—"), *[(c, c.replace("_", " ")) for c in CHANNELS]]))
    direction = SelectField(
        "Direction", choices=choices([("", "—"), ("inbound", "From them"), ("outbound", "To them")])
    )
    counterpart = SelectField("With", choices=choices([("", "—"), ("patient", "Patient"), ("hospital", "Hospital")]))
    body = TextAreaField("Note", validators=[DataRequired(message="Write the note first."), Length(max=10000)])


class ReminderForm(FlaskForm):
    """A user's own reminder on a case. Not versioned: it adds a row and changes nobody else's."""

    due_on = DateField("Due on", validators=[DataRequired(message="Enter the date as YYYY-MM-DD.")])
    text = StringField("What is due", validators=[DataRequired(message="Say what is due."), Length(max=200)])


class ReminderDoneForm(FlaskForm):
    """Marks one reminder done: the reminder is named in the address."""


class PhoneCaseForm(FlaskForm):
    """A case taken down by a coordinator from a phone call or an e-mail."""

    name = StringField("Patient's name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            Length(max=254),
            Email(message="Enter a valid email address.", check_deliverability=False),
        ],
    )
    phone = StringField(
        "Phone",
        validators=[Optional(), Length(max=40), Regexp(r"^[0-9 +()./-]*$", message="Digits, spaces and + ( ) - only.")],
    )
    country = SelectField(
        "Country of residence",
        coerce=str,
        validate_choice=True,
        validators=[DataRequired(message="Choose the country of residence.")],
    )
    preferred_language = SelectField("Preferred language", coerce=str, validate_choice=True, default="en")
    requested_treatment = StringField("Diagnosis or treatment wanted", validators=[DataRequired(), Length(max=300)])
    destination_country = SelectField("Destination country", coerce=str, validate_choice=True)
    message = TextAreaField("What the patient told us", validators=[Optional(), Length(max=5000)])
    source = SelectField(
        "Came in by", choices=choices([("phone", "Phone call"), ("email", "E-mail"), ("referral", "Referral")])
    )
    consent = BooleanField(
        "The patient agreed to the processing of their health data",
        validators=[DataRequired(message="A case needs the patient's consent.")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices([("", "Choose a country"), *countries().items()])
        self.preferred_language.choices = choices(languages().items())
        self.destination_country.choices = choices([("", "No preference"), *countries().items()])
