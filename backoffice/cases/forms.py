from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from backoffice.cases.history import CHANNEL_LABELS, CHANNELS, COUNTERPARTS
from backoffice.forms import FlaskForm, choices
from backoffice.geo import countries, languages
from backoffice.languages import NATIVE_NAMES, PATIENT_LANGUAGES


class VersionedForm(FlaskForm):
    """Carries the case version the user saw, so a change based on an older page is refused."""

    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


class TransitionForm(VersionedForm):
    to_state = HiddenField(validators=[DataRequired(), Length(max=20)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class AssignForm(VersionedForm):
    coordinator_id = SelectField(_l("Coordinator"), coerce=str, validate_choice=True)


class ProgrammeForm(VersionedForm):
    programme_id = SelectField(_l("Programme"), coerce=str, validate_choice=True)
    physician_id = SelectField(_l("Physician"), coerce=str, validate_choice=True)


class ResolveForm(VersionedForm):
    answer_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    resolution = StringField(_l("How it was resolved"), validators=[DataRequired(), Length(max=500)])
    resolved_on = DateField(_l("On"), validators=[DataRequired(message=_l("Enter the date as YYYY-MM-DD."))])
    # The physician's clearance (a document of the case); empty only for an administrator, who then gives the reason.
    clearance_document_id = SelectField(_l("Physician's clearance"), coerce=str, validate_choice=False)

    @property
    def clearance_id(self) -> int | None:
        value = (self.clearance_document_id.data or "").strip()
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else (0 if value else None)


class NoteForm(FlaskForm):
    kind = SelectField(
        _l("Kind"), choices=choices([("internal", _l("Internal note")), ("message", _l("Message record"))])
    )
    channel = SelectField(_l("Channel"), choices=choices([("", "—"), *[(c, _l(CHANNEL_LABELS[c])) for c in CHANNELS]]))
    direction = SelectField(
        _l("Direction"), choices=choices([("", "—"), ("inbound", _l("From them")), ("outbound", _l("To them"))])
    )
    counterpart = SelectField(
        _l("With"), choices=choices([("", "—"), *((key, _l(label)) for key, label in COUNTERPARTS.items())])
    )
    body = TextAreaField(_l("Note"), validators=[DataRequired(message=_l("Write the note first.")), Length(max=10000)])


class PatientLanguageForm(FlaskForm):
    """The language of the patient's mails and documents. Any code is taken: the operation refuses one the patient's
    mails are not written in with a message (400). `seen` is the language the page showed."""

    preferred_language = SelectField(
        _l("Mails and documents in"),
        choices=choices((code, NATIVE_NAMES[code]) for code in PATIENT_LANGUAGES),
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose a language.")), Length(max=10)],
    )
    seen = HiddenField(validators=[Optional(), Length(max=10)])


class ReminderForm(FlaskForm):
    """A user's own reminder on a case. Not versioned: it adds a row and changes nobody else's."""

    due_on = DateField(_l("Due on"), validators=[DataRequired(message=_l("Enter the date as YYYY-MM-DD."))])
    due_time = TimeField(_l("At (optional)"), validators=[Optional()])
    text = StringField(_l("What is due"), validators=[DataRequired(message=_l("Say what is due.")), Length(max=200)])


class ReminderDoneForm(FlaskForm):
    """Marks one reminder done: the reminder is named in the address."""


class PhoneCaseForm(FlaskForm):
    """A case taken down by a coordinator from a phone call or an e-mail."""

    name = StringField(_l("Patient's name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    phone = StringField(
        _l("Phone"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[0-9 +()./-]*$", message=_l("Digits, spaces and + ( ) - only.")),
        ],
    )
    country = SelectField(
        _l("Country of residence"),
        coerce=str,
        validate_choice=True,
        validators=[DataRequired(message=_l("Choose the country of residence."))],
    )
    preferred_language = SelectField(_l("Preferred language"), coerce=str, validate_choice=True, default="en")
    requested_treatment = StringField(_l("Diagnosis or treatment wanted"), validators=[DataRequired(), Length(max=300)])
    destination_country = SelectField(_l("Destination country"), coerce=str, validate_choice=True)
    message = TextAreaField(_l("What the patient told us"), validators=[Optional(), Length(max=5000)])
    source = SelectField(
        _l("Came in by"),
        choices=choices([("phone", _l("Phone call")), ("email", _l("E-mail")), ("referral", _l("Referral"))]),
    )
    consent = BooleanField(
        _l("The patient agreed to the processing of their health data"),
        validators=[DataRequired(message=_l("A case needs the patient's consent."))],
    )
    paused_override_reason = StringField(
        _l("Reason to open it although intake is paused"),
        validators=[Optional(), Length(max=300)],
        description=_l("Only for a destination whose intake is paused; written on the case's timeline."),
    )
    # Set by the buttons of the known-contact warning: "new" (a new patient record) or "patient-<id>".
    decision = StringField(validators=[Optional(), Regexp(r"^(new|patient-\d{1,12})$", message=_l("Choose again."))])

    def __init__(self, *args, paused: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices([("", _("Choose a country")), *countries().items()])
        self.preferred_language.choices = choices(languages().items())
        self.destination_country.choices = choices(
            [
                ("", _("No preference")),
                *(
                    (code, _("%(country)s (intake paused)", country=name) if code in paused else name)
                    for code, name in countries().items()
                ),
            ]
        )

    @property
    def existing_patient_id(self) -> int | None:
        decision = self.decision.data or ""
        return int(decision.removeprefix("patient-")) if decision.startswith("patient-") else None
