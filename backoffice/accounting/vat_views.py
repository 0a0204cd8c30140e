"""The VAT table finance keeps: which category (and so which code and rate) each kind of invoice line carries, and
the note printed with it; who changed a row last; a form per row to change it (`vat.change_rule`, audit-logged)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from backoffice import vat
from backoffice.accounting import bp
from backoffice.accounting.forms import VatRuleForm
from backoffice.auth.models import User
from backoffice.auth.permissions import INVOICERS, roles_required
from backoffice.extensions import db
from backoffice.forms import form_errors
from backoffice.invoicing.models import LINE_KIND_LABELS
from backoffice.transactions import commit_change

TRANSLATED_NOTES = {note for _category, note in vat.DEFAULT_RULES.values() if note}


@dataclass(frozen=True, slots=True)
class TableRow:
    kind: str
    rule: vat.VatRule
    treatment: vat.Treatment
    changed_by: User | None
    form: VatRuleForm

    @property
    def kind_label(self) -> str:
        return LINE_KIND_LABELS.get(self.kind, self.kind)

    @property
    def shown_note(self) -> str:
        """The printed note in the page's language when it is one the catalogues know (the default exemption
        reason), else as finance typed it: a plain str, so the template escapes it (gettext in a template would not)."""
        note = self.treatment.note
        return _(note) if note in TRANSLATED_NOTES else note


def _rows(refused_kind: str = "", refused_form: VatRuleForm | None = None) -> list[TableRow]:
    table = vat.rules()
    user_ids = {rule.updated_by_id for rule in table.values() if rule.updated_by_id}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    rows = []
    for kind, rule in table.items():
        form = refused_form if kind == refused_kind and refused_form is not None else None
        if form is None:
            form = VatRuleForm(formdata=None, category=rule.category, note=rule.note)
        rows.append(TableRow(kind, rule, vat.treatment_for(kind, table), users.get(rule.updated_by_id), form))
    return rows


def _page(status: int = 200, **refused):
    return render_template("accounting/vat_rules.html", rows=_rows(**refused), labels=vat.LABELS), status


@bp.route("/vat")
@roles_required(*INVOICERS)
def list_vat_rules():
    return _page()


@bp.route("/vat/<kind>", methods=["POST"])
@roles_required(*INVOICERS)
def change_vat_rule(kind: str):
    form = VatRuleForm()
    if not form.validate():
        flash(" ".join(form_errors(form)), "error")
        return _page(400, refused_kind=kind, refused_form=form)
    return commit_change(
        lambda: vat.change_rule(kind, form.category.data or "", form.note.data or "", current_user.id),
        success=lambda rule: _(
            "%(kind)s now carries: %(category)s.",
            kind=_(LINE_KIND_LABELS[rule.kind]),
            category=_(vat.LABELS[rule.category]),
        ),
        target=url_for("accounting.list_vat_rules"),
        on_refusal=lambda status: _page(status, refused_kind=kind, refused_form=form),
    )
