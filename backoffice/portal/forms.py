from backoffice.auth.forms import new_password_field, repeated_password_field
from backoffice.forms import FlaskForm


class SetPasswordForm(FlaskForm):
    """The invited patient chooses a password (the same rule as every account's)."""

    password = new_password_field(required="Choose a password.")
    confirm = repeated_password_field("Repeat the password")
