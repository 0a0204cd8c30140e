from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from backoffice.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, describe_rule
from backoffice.forms import FlaskForm


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password."), Length(max=1024)])


class ChangePasswordForm(FlaskForm):
    """Every account changes its own password here; the current one proves it is the owner at the keyboard."""

    current = PasswordField(
        "Current password", validators=[DataRequired(message="Enter your current password."), Length(max=1024)]
    )
    password = PasswordField(
        "New password",
        validators=[
            DataRequired(message="Choose a new password."),
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
        "Repeat the new password",
        validators=[
            DataRequired(message="Repeat the new password."),
            EqualTo("password", message="The passwords do not match."),
        ],
    )
