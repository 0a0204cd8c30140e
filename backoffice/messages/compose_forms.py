"""The forms of writing from a case: a message, a consultation request, the patient's consent to share records.

Every field whose value reaches a mail header (recipient, typed address, subject, language, who the address is)
refuses a line break outright (`no_line_break`), although the app's input filter would make it a space: a line break
there is an attempt to write headers, and the coordinator should see it refused, not quietly changed.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from backoffice.forms import FlaskForm, choices
from backoffice.messages.compose import TEMPLATES, TYPED_COUNTERPARTS
from backoffice.messages.consultation import CONSENT_FORMS
from backoffice.messages.operations import LANGUAGES
from backoffice.messages.portal_thread import MAX_TEXT as MAX_PORTAL_TEXT

LANGUAGE_LABELS = {"en": _l("English"), "de": _l("German"), "ru": _l("Russian"), "ar": _l("Arabic")}
TYPED_COUNTERPART_LABELS = {"hotel": _l("Hotel"), "interpreter": _l("Interpreter"), "other": _l("Other")}
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def no_line_break(form, field) -> None:
    """Refuse a value typed with a line break (checked on what was sent, before the input filter)."""
    if any(ch in LINE_BREAKS for value in field.raw_data or () for ch in str(value)):
        raise ValidationError(_("may not contain line breaks."))


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def language_choices():
    return choices((code, LANGUAGE_LABELS.get(code, code)) for code in LANGUAGES)


class ComposeForm(FlaskForm):
    """A message from the case; the view sets the choices of `to` and `attachments` from the case."""

    to = SelectField(_l("To"), validators=[no_line_break])
    typed_address = StringField(
        _l("Or this address"),
        validators=[no_line_break, Optional(), Length(max=254)],
        description=_l("Only when “To” says “An address typed here”: a hotel, say, has no address on record."),
    )
    typed_counterpart = SelectField(
        _l("Who is it"),
        choices=choices((value, TYPED_COUNTERPART_LABELS[value]) for value in TYPED_COUNTERPARTS),
        default="other",
        validators=[no_line_break],
    )
    template = HiddenField(default="blank", validators=[no_line_break, Length(max=30)])
    reply_to = HiddenField(validators=[no_line_break, Length(max=12)])
    language = SelectField(_l("Language"), choices=language_choices(), default="en", validators=[no_line_break])
    subject = StringField(_l("Subject"), validators=[no_line_break, DataRequired(), Length(max=300)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=50_000)], render_kw={"rows": 14})
    attachments = CheckboxesField(_l("Attach"), choices=[], validate_choice=True)

    def reply_to_id(self) -> int | None:
        value = (self.reply_to.data or "").strip()
        return int(value) if value.isdigit() else None


class StartForm(FlaskForm):
    """Where writing starts on the case page: whom to write to, from which template (sent by GET)."""

    to = SelectField(_l("To"))
    template = SelectField(_l("Template"), choices=choices((name, _l(label)) for name, label in TEMPLATES.items()))


class SharingConsentForm(FlaskForm):
    """The patient's consent to share selected records with a physician, recorded before any request."""

    physician_id = SelectField(_l("Physician"), validators=[DataRequired(message=_l("Choose the physician."))])
    document_ids = CheckboxesField(_l("Records the patient agreed to share"), choices=[], validate_choice=True)
    given_as = SelectField(
        _l("Consent given"), choices=choices((key, _l(label)) for key, label in CONSENT_FORMS.items())
    )
    note = TextAreaField(
        _l("Note"), validators=[Length(max=2000)], render_kw={"rows": 2}, description=_l("When, how, and to whom.")
    )


class ConsultationForm(FlaskForm):
    """The request itself: to the physician, with the records selected (each covered by a consent)."""

    physician_id = SelectField(_l("Physician"), validators=[DataRequired(message=_l("Choose the physician."))])
    document_ids = CheckboxesField(_l("Records to send"), choices=[], validate_choice=True)
    language = SelectField(_l("Language"), choices=language_choices(), default="en", validators=[no_line_break])
    subject = StringField(_l("Subject"), validators=[no_line_break, DataRequired(), Length(max=300)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=50_000)], render_kw={"rows": 12})


class PortalAnswerForm(FlaskForm):
    """A message to the patient on the portal's secure thread (read signed in; the mail only says it waits)."""

    text = TextAreaField(
        _l("Answer in the portal"),
        validators=[DataRequired(message=_l("Write the message first.")), Length(max=MAX_PORTAL_TEXT)],
        render_kw={"rows": 5, "maxlength": MAX_PORTAL_TEXT},
        description=_l(
            "The patient reads it signed in to the portal; a mail tells them that a message waits, not what it says."
        ),
    )
