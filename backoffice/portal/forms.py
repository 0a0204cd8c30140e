from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from backoffice.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, describe_rule
from backoffice.forms import FlaskForm


class SetPasswordForm(FlaskForm):
    """The invited patient chooses a password (the same rule as every account's)."""

    password = PasswordField(
        "New password",
        validators=[
            DataRequired(message="Choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"The password needs at least {MIN_PASSWORD_LENGTH} characters "
                f"({MAX_PASSWORD_LENGTH} at most).",
            ),
        ],
        description=describe_rule(),
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            DataRequired(message="Repeat the password."),
            EqualTo("password", message="The passwords do not match."),
        ],
    )
