"""Forms shared by several features, and the base class of every form of the app."""

from collections.abc import Iterable

import flask_babel
import flask_wtf
import wtforms
from flask_wtf.i18n import translations as wtforms_translations
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


class Translations:
    """WTForms' own refusals in the page's language: the app's catalogue first, then WTForms' catalogue.

    WTForms' Arabic catalogue lacks most plural forms (a field "at most 120 characters" long was refused in English on
    the Arabic request form), so the app's catalogues carry the plural refusals its forms use (`plural_refusals`).
    """

    def gettext(self, string: str) -> str:
        return wtforms_translations.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        ours = flask_babel.get_translations().ungettext(singular, plural, n)
        return ours if ours not in (singular, plural) else wtforms_translations.ngettext(singular, plural, n)


TRANSLATIONS = Translations()


def plural_refusals(n: int) -> list[str]:
    """WTForms' Length refusals for a limit of `n` characters, as the app's catalogues have them (written out here so
    that `make messages` finds them)."""
    return [
        flask_babel.ngettext(
            "Field must be at least %(min)d character long.",
            "Field must be at least %(min)d characters long.",
            n,
            min=n,
        ),
        flask_babel.ngettext(
            "Field cannot be longer than %(max)d character.",
            "Field cannot be longer than %(max)d characters.",
            n,
            max=n,
        ),
        flask_babel.ngettext(
            "Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", n, max=n
        ),
    ]


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

        def get_translations(self, form):
            return TRANSLATIONS


class PlainForm(wtforms.Form):
    """A form nested in another (the rows of a FormField): no CSRF token of its own, the same input filter."""

    class Meta(wtforms.Form.Meta):
        def bind_field(self, form, unbound_field, options):
            return bind_cleaned(super().bind_field, form, unbound_field, options)

        def get_translations(self, form):
            return TRANSLATIONS


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
