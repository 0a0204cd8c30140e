from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from backoffice.auth.operations import MIN_PASSWORD_LENGTH
from backoffice.forms import FlaskForm


class SetPasswordForm(FlaskForm):
    """The invited patient chooses a password (the same rule as every account's)."""

    password = PasswordField(
        "New password",
        validators=[
            DataRequired(message="Choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=f"The password needs at least {MIN_PASSWORD_LENGTH} characters (256 at most).",
            ),
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words are easy to remember.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            DataRequired(message="Repeat the password."),
            EqualTo("password", message="The passwords do not match."),
        ],
    )
