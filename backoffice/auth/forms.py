from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from backoffice.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, describe_rule
from backoffice.forms import FlaskForm


def new_password_field(*, required: str) -> PasswordField:
    """A new password field with the one rule of every account (its length here, the rest in `check_new_password`)."""
    return PasswordField(
        "New password",
        validators=[
            DataRequired(message=required),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"The password needs at least {MIN_PASSWORD_LENGTH} characters "
                f"({MAX_PASSWORD_LENGTH} at most).",
            ),
        ],
        description=describe_rule(),
    )


def repeated_password_field(label: str) -> PasswordField:
    """The new password typed again: it must match the field `password`."""
    return PasswordField(
        label,
        validators=[DataRequired(message=f"{label}."), EqualTo("password", message="The passwords do not match.")],
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password."), Length(max=1024)])


class ChangePasswordForm(FlaskForm):
    """Every account changes its own password here; the current one proves it is the owner at the keyboard."""

    current = PasswordField(
        "Current password", validators=[DataRequired(message="Enter your current password."), Length(max=1024)]
    )
    password = new_password_field(required="Choose a new password.")
    confirm = repeated_password_field("Repeat the new password")
