from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from backoffice.forms import FlaskForm


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password."), Length(max=1024)])
