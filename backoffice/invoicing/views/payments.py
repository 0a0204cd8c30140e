"""Money in and out: payments and refunds on an issued invoice, and the case's credit applied to an invoice or paid
back to the patient."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import roles_required
from backoffice.cases.operations import get_case
from backoffice.invoicing import bp, credits, payments
from backoffice.invoicing.forms import ApplyCreditForm, PaymentForm, RefundCreditForm
from backoffice.invoicing.views.case_invoices import case_page
from backoffice.invoicing.views.invoice_page import change_invoice, refused_invoice_form
from backoffice.invoicing.views.pages import INVOICE_WORKERS, refused_form
from backoffice.languages import N_
from backoffice.params import positive_int
from backoffice.templating import format_page_money
from backoffice.transactions import commit_change

RECORDED = {False: N_("Payment of %(amount)s recorded."), True: N_("Refund of %(amount)s recorded.")}


def _recorded(refund: bool, payment) -> str:
    message = _(RECORDED[refund], amount=format_page_money(abs(payment.amount), payment.currency))
    if payment.to_credit:
        excess = format_page_money(payment.to_credit, payment.currency)
        message += " " + _("%(amount)s above what was open is a credit on the case's account.", amount=excess)
    return message


def _record(invoice_id: int, *, refund: bool):
    name = "refund_form" if refund else "payment_form"
    form = PaymentForm()
    if not form.validate():
        return refused_invoice_form(invoice_id, form, name)
    return change_invoice(
        invoice_id,
        lambda: payments.record_payment(
            invoice_id,
            actor_id=current_user.id,
            amount=form.amount.data,
            currency=form.currency.data,
            received_on=form.received_on.data,
            method=form.method.data,
            reference=form.reference.data,
            refund=refund,
            expected_version=form.version.data,
        ),
        lambda payment: _recorded(refund, payment),
        **{name: form},
    )


@bp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def record_payment(invoice_id: int):
    return _record(invoice_id, refund=False)


@bp.route("/invoices/<int:invoice_id>/refunds", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def record_refund(invoice_id: int):
    return _record(invoice_id, refund=True)


@bp.route("/cases/<int:case_id>/credit/apply", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def apply_case_credit(case_id: int):
    form = ApplyCreditForm()
    if not form.validate():
        return refused_form(form, case_page(case_id, apply_form=form), find=lambda: get_case(case_id))
    return commit_change(
        lambda: credits.apply_credit(
            case_id, positive_int(form.invoice_id.data), actor_id=current_user.id, amount=form.amount.data
        ),
        success=lambda payment: _(
            "%(amount)s of the case's credit applied.", amount=format_page_money(payment.amount, payment.currency)
        ),
        target=url_for("invoicing.case_invoices", case_id=case_id),
        on_refusal=case_page(case_id, apply_form=form),
    )


@bp.route("/cases/<int:case_id>/credit/refund", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def refund_case_credit(case_id: int):
    form = RefundCreditForm()
    if not form.validate():
        return refused_form(form, case_page(case_id, refund_form=form), find=lambda: get_case(case_id))
    return commit_change(
        lambda: credits.refund_credit(
            case_id,
            actor_id=current_user.id,
            currency=form.currency.data or "",
            amount=form.amount.data,
            paid_on=form.paid_on.data,
            method=form.method.data,
            reference=form.reference.data,
        ),
        success=lambda step: _(
            "Refund of %(amount)s from the case's credit recorded.",
            amount=format_page_money(-step.amount, step.currency),
        ),
        target=url_for("invoicing.case_invoices", case_id=case_id),
        on_refusal=case_page(case_id, refund_form=form),
    )
