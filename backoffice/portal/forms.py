from flask_babel import lazy_gettext
from wtforms import EmailField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from backoffice.auth.forms import new_password_field, repeated_password_field
from backoffice.forms import FlaskForm, choices
from backoffice.languages import NATIVE_NAMES, PATIENT_LANGUAGES
from backoffice.messages.portal_thread import MAX_TEXT


class SetPasswordForm(FlaskForm):
    """The invited patient chooses a password (the same rule as every account's)."""

    password = new_password_field(required="Choose a password.")
    confirm = repeated_password_field("Repeat the password")


class ForgotPasswordForm(FlaskForm):
    """A patient who forgot their portal password gives the email address they sign in with."""

    email = EmailField(
        "Your email address", validators=[DataRequired(message="Enter your email address."), Length(max=254)]
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
