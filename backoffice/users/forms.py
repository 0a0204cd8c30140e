from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from backoffice.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from backoffice.auth.permissions import ROLE_LABELS
from backoffice.forms import FlaskForm, choices

ROLE_CHOICES = choices((role, _l(label)) for role, label in ROLE_LABELS.items())
THE_BROWSERS = ""  # no saved language: the browser's Accept-Language decides
LANGUAGE_LABELS = {THE_BROWSERS: _l("The browser's"), "en": _l("English"), "de": _l("German")}


class UserCreateForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=True)
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=_l(
            "At least %(count)s characters, not a common one. Share it with the person through a separate channel: "
            "they choose their own at their first sign-in.",
            count=MIN_PASSWORD_LENGTH,
        ),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=True)


class LanguageForm(FlaskForm):
    """The language of a staff member's pages: English, German, or none saved (the browser's)."""

    language = SelectField(_l("Language of the pages"), choices=choices(LANGUAGE_LABELS.items()), validate_choice=True)
