"""Interpreter forms. They check shape and length; the rules (languages, money, times, overlaps) live in
logistics.interpreters."""

from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from backoffice.forms import FlaskForm


class InterpreterForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    languages = StringField(
        "Languages offered",
        validators=[DataRequired(), Length(max=200)],
        description="Two-letter codes separated by commas, such as ar, ru, en.",
    )
    hourly_rate_amount = StringField(
        "Hourly rate",
        validators=[Length(max=30)],
        description="Such as 65.00. Leave empty when the interpreter charges per assignment.",
    )
    hourly_rate_currency = StringField(
        "Currency", default="EUR", validators=[Length(max=3)], description="ISO 4217 code, such as EUR."
    )
    email = EmailField(
        "Email",
        validators=[
            Optional(),
            Length(max=254),
            Email(message="Enter a valid email address.", check_deliverability=False),
        ],
    )
    phone = StringField("Phone", validators=[Length(max=40)])
    city = StringField("City", validators=[Length(max=100)])


class InterpreterBookingForm(FlaskForm):
    # Choices are filled by the view; the operation refuses an interpreter or language that does not fit, by name.
    interpreter_id = SelectField("Interpreter", validate_choice=False, validators=[DataRequired()])
    language = SelectField("Language", validate_choice=False, validators=[DataRequired()])
    # InputRequired, not DataRequired: a date that is there but wrong keeps its own message ("Not a valid date").
    day = DateField("Date", validators=[InputRequired(message="Enter the date.")])
    starts = TimeField("From", validators=[InputRequired(message="Enter the start time.")])
    ends = TimeField("Until", validators=[InputRequired(message="Enter the end time.")])
    place = StringField("Place", validators=[DataRequired(), Length(max=200)])
    cost_amount = StringField(
        "Cost",
        validators=[Length(max=30)],
        description="Leave empty to compute it from the interpreter's hourly rate.",
    )
    cost_currency = StringField("Currency", default="EUR", validators=[Length(max=3)])
    notes = TextAreaField("Notes", validators=[Length(max=5000)], render_kw={"rows": 3})

    def validate_interpreter_id(self, field) -> None:
        if not (field.data or "").isdigit() or len(field.data) > 10:
            raise ValidationError("Choose an interpreter from the list.")


class ConfirmInterpreterBookingForm(FlaskForm):
    supplier_reference = StringField(
        "Reference", validators=[Length(max=100)], description="Optional: interpreters seldom give one."
    )


class CancelInterpreterBookingForm(FlaskForm):
    reason = StringField("Reason", validators=[Length(max=300)])
