"""Drafting a credit note: choosing the lines of an issued invoice to reverse, and by how much."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import roles_required
from backoffice.cases.operations import get_case
from backoffice.invoicing import bp
from backoffice.invoicing.credit_notes import create_credit_note_draft, creditable_lines, invoice_to_credit
from backoffice.invoicing.forms import ChosenLinesError, CreditNoteForm, chosen_lines
from backoffice.invoicing.invoices import get_invoice, shown_label
from backoffice.invoicing.views.pages import HELPERS, INVOICE_WORKERS, refused_form
from backoffice.transactions import commit_change


def render_credit_note_form(invoice_id: int, form: CreditNoteForm, status: int = 200, chosen=None):
    """The issued invoice's lines, each with what is left of it to credit; the lines chosen so far stay ticked."""
    invoice = invoice_to_credit(invoice_id)
    context = {
        "invoice": invoice,
        "case": get_case(invoice.case_id),
        "form": form,
        "left": creditable_lines(invoice),
        "chosen": chosen or {},
        **HELPERS,
    }
    return render_template("invoicing/credit_note.html", **context), status


@bp.route("/invoices/<int:invoice_id>/credit-note", methods=["GET", "POST"])
@roles_required(*INVOICE_WORKERS)
def new_credit_note(invoice_id: int):
    form = CreditNoteForm()
    if request.method == "GET":
        return render_credit_note_form(invoice_id, form)
    try:
        amounts = chosen_lines(request.form)
    except ChosenLinesError as error:
        return refused_form(
            form,
            lambda status: render_credit_note_form(invoice_id, form, status),
            find=lambda: get_invoice(invoice_id),
            problem=str(error),
        )
    if not form.validate():
        return refused_form(
            form,
            lambda status: render_credit_note_form(invoice_id, form, status, amounts),
            find=lambda: get_invoice(invoice_id),
        )
    return commit_change(
        lambda: create_credit_note_draft(
            invoice_id, actor_id=current_user.id, reason=form.reason.data, amounts=amounts
        ),
        success=lambda note: _("%(invoice)s made: check it, then issue it.", invoice=shown_label(note)),
        target=lambda note: url_for("invoicing.show_invoice", invoice_id=note.id),
        on_refusal=lambda status: render_credit_note_form(invoice_id, form, status, amounts),
    )
