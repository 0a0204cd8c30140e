"""Forms of finance's accounting pages: the period to export, a row of the VAT table.

The period stays text here and is read by `exports.parse_period`, and a VAT rule's category and note by
`vat.change_rule`, so each refusal is the operation's own message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from backoffice import vat
from backoffice.forms import FlaskForm, choices


class ExportForm(FlaskForm):
    period_from = StringField(_l("From"), render_kw={"maxlength": 10, "placeholder": "2026-11-01"})
    period_to = StringField(_l("To"), render_kw={"maxlength": 10, "placeholder": "2026-11-30"})


class VatRuleForm(FlaskForm):
    category = SelectField(
        _l("VAT category"), choices=choices((c, _l(vat.LABELS[c])) for c in vat.CATEGORIES), validate_choice=False
    )
    note = StringField(_l("Printed note"), render_kw={"maxlength": 300})
