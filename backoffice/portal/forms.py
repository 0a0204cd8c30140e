from flask_babel import lazy_gettext
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from backoffice.auth.forms import new_password_field, repeated_password_field
from backoffice.forms import FlaskForm


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
