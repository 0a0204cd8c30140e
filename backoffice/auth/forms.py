from flask_babel import lazy_gettext
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from backoffice.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, RULE
from backoffice.forms import FlaskForm
from backoffice.languages import NATIVE_NAMES, STAFF_LANGUAGES


def new_password_field(*, required: str) -> PasswordField:
    """A new password field with the one rule of every account (its length here, the rest in `check_new_password`).
    Labels and messages are lazy: they are read in the language of the page that shows the form."""
    return PasswordField(
        lazy_gettext("New password"),
        validators=[
            DataRequired(message=required),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                # WTForms fills in %(min)d and %(max)d.
                message=lazy_gettext("The password needs at least %(min)d characters (%(max)d at most)."),
            ),
        ],
        description=lazy_gettext(RULE, count=MIN_PASSWORD_LENGTH),
    )


def repeated_password_field(label: str, *, required: str) -> PasswordField:
    """The new password typed again: it must match the field `password`."""
    return PasswordField(
        label,
        validators=[
            DataRequired(message=required),
            EqualTo("password", message=lazy_gettext("The passwords do not match.")),
        ],
    )


class LoginForm(FlaskForm):
    email = EmailField(
        lazy_gettext("Email"),
        validators=[DataRequired(message=lazy_gettext("Enter your email address.")), Length(max=254)],
    )
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[DataRequired(message=lazy_gettext("Enter your password.")), Length(max=1024)],
    )


class ChangePasswordForm(FlaskForm):
    """Every account changes its own password here; the current one proves it is the owner at the keyboard."""

    current = PasswordField(
        lazy_gettext("Current password"),
        validators=[DataRequired(message=lazy_gettext("Enter your current password.")), Length(max=1024)],
    )
    password = new_password_field(required=lazy_gettext("Choose a new password."))
    confirm = repeated_password_field(
        lazy_gettext("Repeat the new password"), required=lazy_gettext("Repeat the new password.")
    )


BROWSERS_LANGUAGE = ""  # the choice "as my browser asks": nothing saved


class PageLanguageForm(FlaskForm):
    """A staff member's pages in English or German, or in whichever of them the browser asks for."""

    language = SelectField(
        lazy_gettext("Language of my pages"),
        choices=[(BROWSERS_LANGUAGE, lazy_gettext("As my browser asks"))]
        + [(code, NATIVE_NAMES[code]) for code in STAFF_LANGUAGES],
        validate_choice=True,
    )
