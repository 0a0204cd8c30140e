"""Interpreter forms. They check shape and length; the rules (languages, money, times, overlaps) live in
logistics.interpreters."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from backoffice.forms import FlaskForm


class InterpreterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    languages = StringField(
        _l("Languages offered"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Two-letter codes separated by commas, such as ar, ru, en."),
    )
    hourly_rate_amount = StringField(
        _l("Hourly rate"),
        validators=[Length(max=30)],
        description=_l("Such as 65.00. Leave empty when the interpreter charges per assignment."),
    )
    hourly_rate_currency = StringField(
        _l("Currency"), default="EUR", validators=[Length(max=3)], description=_l("ISO 4217 code, such as EUR.")
    )
    email = EmailField(
        _l("Email"),
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    city = StringField(_l("City"), validators=[Length(max=100)])


class InterpreterBookingForm(FlaskForm):
    # Choices are filled by the view; the operation refuses an interpreter or language that does not fit, by name.
    interpreter_id = SelectField(_l("Interpreter"), validate_choice=False, validators=[DataRequired()])
    language = SelectField(_l("Language"), validate_choice=False, validators=[DataRequired()])
    # InputRequired, not DataRequired: a date that is there but wrong keeps its own message ("Not a valid date").
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    starts = TimeField(_l("From"), validators=[InputRequired(message=_l("Enter the start time."))])
    ends = TimeField(_l("Until"), validators=[InputRequired(message=_l("Enter the end time."))])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    cost_amount = StringField(
        _l("Cost"),
        validators=[Length(max=30)],
        description=_l("Leave empty to compute it from the interpreter's hourly rate."),
    )
    cost_currency = StringField(_l("Currency"), default="EUR", validators=[Length(max=3)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)], render_kw={"rows": 3})

    def validate_interpreter_id(self, field) -> None:
        if not (field.data or "").isdigit() or len(field.data) > 10:
            raise ValidationError(_l("Choose an interpreter from the list."))


class ConfirmInterpreterBookingForm(FlaskForm):
    supplier_reference = StringField(
        _l("Reference"), validators=[Length(max=100)], description=_l("Optional: interpreters seldom give one.")
    )


class CancelInterpreterBookingForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=300)])
