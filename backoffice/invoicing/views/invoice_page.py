"""An invoice or credit note: its page, and editing, issuing and deleting its draft.

An issued invoice has no edit forms, but its edit routes still answer: with a 409 saying to issue a credit note, the
attempt kept in the audit log (the operation's trace).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import roles_required
from backoffice.cases.operations import get_case
from backoffice.dbtypes import operator_today
from backoffice.forms import choices
from backoffice.invoicing import accounts, bp, drafts, issuing, listing
from backoffice.invoicing.forms import (
    HeaderForm,
    LineForm,
    OfferDifferenceForm,
    PaymentForm,
    VersionedForm,
    VersionForm,
)
from backoffice.invoicing.invoices import get_invoice, refuse_change, shown_label, totals_of
from backoffice.invoicing.models import PAYMENT_METHOD_LABELS
from backoffice.invoicing.offer_difference import explain_difference, offer_difference
from backoffice.invoicing.totals import vat_in_base
from backoffice.invoicing.views.pages import (
    HELPERS,
    INVOICE_READERS,
    INVOICE_WORKERS,
    rate_hints,
    refused_form,
)
from backoffice.jobs import outbox
from backoffice.money import currencies
from backoffice.patients.restriction import check_may_see
from backoffice.templating import format_page_money
from backoffice.transactions import commit_change


def render_invoice_page(invoice_id: int, status: int = 200, **forms):
    """An invoice or credit note: header, lines, totals, deductions, account; for finance, the forms of what may be
    done next (editing a draft; payments, refunds and credit notes on an issued invoice). After a refused change,
    with the submitted form (and its errors) shown again. An erased patient's: finance and administrators only, no
    forms (`patients.restriction`)."""
    invoice = get_invoice(invoice_id)
    case = get_case(invoice.case_id)
    check_may_see(case.patient)
    account = None if invoice.is_draft or invoice.is_credit_note else accounts.account_of(invoice)
    may_work = current_user.role in INVOICE_WORKERS and not case.patient.is_erased
    foreign = invoice.currency != invoice.base_currency
    totals = totals_of(invoice)
    context = {
        "invoice": invoice,
        "case": case,
        "totals": totals,
        # An invoice in another currency states its VAT in the base currency too, at its rate (as printed).
        "base_vat": [
            (group, vat_in_base(group.tax, invoice.exchange_rate, invoice.base_currency))
            for group in totals.by_rate
            if group.taxed and foreign and invoice.exchange_rate
        ],
        "account": account,
        "credit_notes": [] if invoice.is_credit_note else listing.credit_notes_of(invoice.id),
        "may_work": may_work,
        "foreign": foreign,
        "methods": PAYMENT_METHOD_LABELS,
        "offer": offer_difference(invoice),
        # An issued invoice's PDF is a Factur-X; an XRechnung is there for a business payer (a buyer reference).
        "xrechnung": not invoice.is_draft and bool(invoice.bill_to_reference),
        **HELPERS,
    }
    if may_work and invoice.is_draft:
        header_form = forms.get("header_form") or HeaderForm(
            formdata=None,
            bill_to_name=invoice.bill_to_name,
            bill_to_address=invoice.bill_to_address,
            bill_to_reference=invoice.bill_to_reference,
            bill_to_vat_id=invoice.bill_to_vat_id,
            bill_to_postcode=invoice.bill_to_postcode,
            bill_to_city=invoice.bill_to_city,
            bill_to_country=invoice.bill_to_country,
            service_from=invoice.service_from,
            service_to=invoice.service_to,
            note=invoice.note,
            exchange_rate=f"{invoice.exchange_rate.normalize():f}" if invoice.exchange_rate is not None else "",
            exchange_rate_on=invoice.exchange_rate_on,
        )
        rate_hints(header_form, invoice.currency)
        line_form = forms.get("line_form") or LineForm(formdata=None)
        context.update(header_form=header_form, line_form=line_form, version_form=VersionForm(formdata=None))
        if context["offer"] is not None:
            context["difference_form"] = forms.get("difference_form") or OfferDifferenceForm(
                formdata=None, reason=invoice.offer_difference_reason
            )
    if may_work and account is not None:
        today = operator_today()
        open_amount = account.outstanding
        payment_form = forms.get("payment_form") or PaymentForm(
            formdata=None,
            received_on=today,
            amount=str(open_amount) if open_amount > 0 else "",
            currency=invoice.currency,
        )
        refund_form = forms.get("refund_form") or PaymentForm(
            formdata=None,
            received_on=today,
            amount=str(-open_amount) if open_amount < 0 else "",
            currency=invoice.currency,
        )
        for form in (payment_form, refund_form):
            form.currency.choices = choices((code, code) for code in sorted(currencies()))
        context.update(payment_form=payment_form, refund_form=refund_form)
    for form in context.values():
        if isinstance(form, VersionedForm):  # every form acts on the invoice as the page shows it now
            form.version.data = invoice.version
    return render_template("invoicing/detail.html", **context), status


def invoice_page(invoice_id: int, **forms) -> Callable[[int], object]:
    """The invoice's page shown again with the submitted form, answering with the given status."""
    return lambda status: render_invoice_page(invoice_id, status, **forms)


@bp.route("/invoices/<int:invoice_id>")
@roles_required(*INVOICE_READERS)
def show_invoice(invoice_id: int):
    return render_invoice_page(invoice_id)


def change_invoice(invoice_id: int, change, success, target=None, **forms):
    """Run one change of an invoice; on refusal show the invoice again with the reason and the error's status."""
    return commit_change(
        change,
        success=success,
        target=target or url_for("invoicing.show_invoice", invoice_id=invoice_id),
        on_refusal=invoice_page(invoice_id, **forms),
        after_commit=outbox.kick,  # the patient's mail (issued, paid) goes out now
    )


def refused_invoice_form(invoice_id: int, form, name: str, *, attempted: str | None = None):
    """A form that cannot be read. On an issued invoice an edit is refused as such whatever the form held (409,
    kept in the audit log): the attempt is what matters, not its typos."""
    invoice = get_invoice(invoice_id)  # an unknown invoice is a 404, not a form error
    if attempted is not None and not invoice.is_draft:
        return change_invoice(invoice_id, lambda: refuse_change(invoice, current_user.id, attempted), "")
    return refused_form(form, invoice_page(invoice_id, **{name: form}), find=lambda: invoice, nothing_was="changed")


@bp.route("/invoices/<int:invoice_id>/edit", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def edit_invoice(invoice_id: int):
    form = HeaderForm()
    if not form.validate():
        return refused_invoice_form(invoice_id, form, "header_form", attempted="edit")
    return change_invoice(
        invoice_id,
        lambda: drafts.update_draft(
            invoice_id,
            actor_id=current_user.id,
            expected_version=form.version.data,
            bill_to_name=form.bill_to_name.data,
            bill_to_address=form.bill_to_address.data,
            service_from=form.service_from.data,
            service_to=form.service_to.data,
            note=form.note.data,
            exchange_rate=form.exchange_rate.data,
            exchange_rate_on=form.exchange_rate_on.data,
            payer=_payer(form),
        ),
        lambda invoice: _("%(invoice)s saved.", invoice=shown_label(invoice)),
        header_form=form,
    )


def _payer(form: HeaderForm) -> drafts.Payer | None:
    """The payer's details the form sent; None (kept as they are) from a form that sent none of their fields."""
    fields = (
        form.bill_to_reference,
        form.bill_to_vat_id,
        form.bill_to_postcode,
        form.bill_to_city,
        form.bill_to_country,
    )
    if not any(field.raw_data for field in fields):
        return None
    reference, vat_id, postcode, city, country = (field.data or "" for field in fields)
    return drafts.Payer(reference=reference, vat_id=vat_id, postcode=postcode, city=city, country=country)


@bp.route("/invoices/<int:invoice_id>/lines", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def add_invoice_line(invoice_id: int):
    form = LineForm()
    if not form.validate():
        return refused_invoice_form(invoice_id, form, "line_form", attempted="add line")
    return change_invoice(
        invoice_id,
        lambda: drafts.add_line(
            invoice_id,
            actor_id=current_user.id,
            expected_version=form.version.data,
            kind=form.kind.data,
            description=form.description.data,
            quantity=form.quantity.data,
            unit_price=form.unit_price.data,
            vat_category=form.vat_category.data or "",
            service_on=form.service_on.data,
        ),
        lambda line: _(
            "Line %(position)s added: %(amount)s net.",
            position=line.position,
            amount=format_page_money(line.net_amount, line.invoice.currency),
        ),
        line_form=form,
    )


@bp.route("/invoices/<int:invoice_id>/lines/<int:line_id>/remove", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def remove_invoice_line(invoice_id: int, line_id: int):
    form = VersionForm()
    if not form.validate():
        return refused_invoice_form(invoice_id, form, "version_form", attempted="remove line")
    return change_invoice(
        invoice_id,
        lambda: drafts.remove_line(invoice_id, line_id, actor_id=current_user.id, expected_version=form.version.data),
        _("Line removed."),
    )


@bp.route("/invoices/<int:invoice_id>/issue", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def issue_invoice(invoice_id: int):
    form = VersionForm()
    if not form.validate():
        return refused_invoice_form(invoice_id, form, "version_form")
    return change_invoice(
        invoice_id,
        lambda: issuing.issue_invoice(invoice_id, actor_id=current_user.id, expected_version=form.version.data),
        lambda invoice: _("%(invoice)s issued; its PDF is archived.", invoice=shown_label(invoice)),
    )


@bp.route("/invoices/<int:invoice_id>/offer-difference", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def explain_offer_difference(invoice_id: int):
    form = OfferDifferenceForm()
    if not form.validate():
        return refused_invoice_form(invoice_id, form, "difference_form", attempted="offer difference")
    return change_invoice(
        invoice_id,
        lambda: explain_difference(
            invoice_id, form.reason.data, actor_id=current_user.id, expected_version=form.version.data
        ),
        _("The reason for the difference from the accepted offer is saved."),
        difference_form=form,
    )


@bp.route("/invoices/<int:invoice_id>/delete", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def delete_invoice(invoice_id: int):
    form = VersionForm()
    if not form.validate():
        return refused_invoice_form(invoice_id, form, "version_form", attempted="delete")
    return change_invoice(
        invoice_id,
        lambda: drafts.delete_draft(invoice_id, actor_id=current_user.id, expected_version=form.version.data).id,
        _("The draft was deleted (it never had a number)."),
        target=lambda case_id: url_for("invoicing.case_invoices", case_id=case_id),
    )
