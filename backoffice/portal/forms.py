from flask_babel import lazy_gettext
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from backoffice.auth.forms import new_password_field, repeated_password_field
from backoffice.cases.documents import ACCEPT, MAX_DESCRIPTION_LENGTH
from backoffice.forms import FlaskForm, choices
from backoffice.languages import NATIVE_NAMES, PATIENT_LANGUAGES
from backoffice.messages.portal_thread import MAX_TEXT


class SetPasswordForm(FlaskForm):
    """The invited patient chooses a password (the same rule as every account's)."""

    password = new_password_field(required=lazy_gettext("Choose a password."))
    confirm = repeated_password_field(
        lazy_gettext("Repeat the password"), required=lazy_gettext("Repeat the password.")
    )


class ForgotPasswordForm(FlaskForm):
    """A patient who forgot their portal password gives the email address they sign in with."""

    email = EmailField(
        lazy_gettext("Your email address"),
        validators=[DataRequired(message=lazy_gettext("Enter your email address.")), Length(max=254)],
    )


class PatientDocumentForm(FlaskForm):
    """A file the patient sends from the portal; what it must be is decided by the upload's own checks."""

    file = FileField(lazy_gettext("File"), render_kw={"accept": ACCEPT})
    description = StringField(
        lazy_gettext("What is it? (optional)"),
        validators=[Length(max=MAX_DESCRIPTION_LENGTH, message=lazy_gettext("The description is too long."))],
        render_kw={"maxlength": MAX_DESCRIPTION_LENGTH},
    )


class PortalMessageForm(FlaskForm):
    """The patient writes to their coordinator on the portal's secure thread."""

    text = TextAreaField(
        lazy_gettext("Your message"),
        validators=[
            DataRequired(message=lazy_gettext("Write your message first.")),
            Length(max=MAX_TEXT, message=lazy_gettext("A message has at most %(max)d characters.")),
        ],
        render_kw={"rows": 6, "maxlength": MAX_TEXT},
    )


class LanguageForm(FlaskForm):
    """The language of the patient's portal pages, mails and documents (saved on their patient record)."""

    language = SelectField(
        lazy_gettext("Language"),
        choices=choices((code, NATIVE_NAMES[code]) for code in PATIENT_LANGUAGES),
        validate_choice=True,
    )


class AcceptOfferForm(FlaskForm):
    """The patient accepts a treatment offer: their full name typed, and "I accept" ticked (the optional items they
    choose come as the checkboxes `chosen`, the offer's own check decides)."""

    name = StringField(
        lazy_gettext("Your full name"),
        validators=[
            DataRequired(message=lazy_gettext("Type your full name to accept the offer.")),
            Length(max=200, message=lazy_gettext("The name is too long.")),
        ],
        render_kw={"maxlength": 200, "autocomplete": "name"},
    )
    agree = BooleanField(
        lazy_gettext("I accept this offer, its payment schedule and its terms."),
        validators=[DataRequired(message=lazy_gettext("Tick “I accept” to accept the offer."))],
    )


class DeclineOfferForm(FlaskForm):
    """The patient declines a treatment offer, saying why."""

    reason = TextAreaField(
        lazy_gettext("Why do you decline the offer?"),
        validators=[
            DataRequired(message=lazy_gettext("Tell us why you decline the offer.")),
            Length(max=2000, message=lazy_gettext("The reason has at most %(max)d characters.")),
        ],
        render_kw={"rows": 3, "maxlength": 2000},
    )
