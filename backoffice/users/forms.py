from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from backoffice.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from backoffice.auth.permissions import ROLE_LABELS
from backoffice.forms import FlaskForm, choices

ROLE_CHOICES = choices(ROLE_LABELS.items())


class UserCreateForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            Length(max=254),
            Email(message="Enter a valid email address.", check_deliverability=False),
        ],
    )
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=True)
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters, not a common one. Share it with the person through a "
        "separate channel: they choose their own at their first sign-in.",
    )
    confirm = PasswordField(
        "Repeat the password", validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")]
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=True)
