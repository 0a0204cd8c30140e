"""Forms shared by several features, and the base class of every form of the app."""

from collections.abc import Iterable

import flask_wtf
import wtforms
from wtforms.fields import PasswordField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from backoffice.text import clean_line, clean_text


def _cleaned(clean):
    def text_filter(value):
        return clean(value) if isinstance(value, str) else value

    return text_filter


CLEAN_LINE, CLEAN_TEXT = _cleaned(clean_line), _cleaned(clean_text)


def bind_cleaned(bind_field, form, unbound_field, options):
    """Bind a field with the input filter of its kind first (then its own filters)."""
    kind = unbound_field.field_class
    # Text fields only: the others parse their value (a date, a number, a choice) and refuse what is not one.
    if issubclass(kind, StringField) and not issubclass(kind, PasswordField):
        clean = CLEAN_TEXT if issubclass(kind, TextAreaField) else CLEAN_LINE
        options = {**options, "filters": (clean, *unbound_field.kwargs.get("filters", ()))}
    return bind_field(form, unbound_field, options)


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form, with the one input filter every text field of every form passes through first.

    A text area keeps its line breaks and tabs and loses other control characters; every other text field (names,
    references, codes, emails, hidden values) becomes one line: line breaks and tabs turn into spaces, control
    characters and bidi overrides are removed (backoffice/text.py says why). A password is taken as typed: it is never
    shown again. Fields that parse their value (dates, numbers, choices, files) refuse what is not one.
    """

    class Meta(flask_wtf.FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            return bind_cleaned(super().bind_field, form, unbound_field, options)


class PlainForm(wtforms.Form):
    """A form nested in another (the rows of a FormField): no CSRF token of its own, the same input filter."""

    class Meta(wtforms.Form.Meta):
        def bind_field(self, form, unbound_field, options):
            return bind_cleaned(super().bind_field, form, unbound_field, options)


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Options of a SelectField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class ConfirmForm(FlaskForm):
    """A button that changes state: nothing but the CSRF token."""


def form_status(form: FlaskForm) -> int:
    """The status of a page showing `form`: 200 when first shown, 422 when shown again after a refused submission."""
    return 422 if form.is_submitted() else 200


def form_errors(form: wtforms.Form) -> list[str]:
    """Every error message of a form that did not validate, field by field, as they are to be shown."""
    return [str(error) for errors in form.errors.values() for error in errors]  # a lazy message in the page's language
