"""A case's invoices: its invoices and account, its accepted offer and approved bill, and (finance) the forms that
make a deposit or final draft and set the case's invoicing currency."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import roles_required
from backoffice.billing.bills.listing import bills_of_case
from backoffice.cases.operations import get_case
from backoffice.dbtypes import operator_today
from backoffice.forms import choices
from backoffice.invoicing import bp, conversion, listing, sources
from backoffice.invoicing.conversion import base_currency
from backoffice.invoicing.deposits import create_deposit_draft
from backoffice.invoicing.finals import create_final_draft
from backoffice.invoicing.forms import ApplyCreditForm, CurrencyForm, DepositForm, FinalForm, RefundCreditForm
from backoffice.invoicing.invoices import shown_label
from backoffice.invoicing.views.pages import HELPERS, INVOICE_READERS, INVOICE_WORKERS, rate_hints, refused_form
from backoffice.money import currencies
from backoffice.offers.operations import accepted_offer
from backoffice.patients.restriction import check_may_see
from backoffice.transactions import commit_change


def render_case_invoices(case_id: int, status: int = 200, **forms):
    """The case's invoices and account, its accepted offer and approved bill, and (finance) the forms to make drafts;
    after a refused change, with the submitted form (and its errors) shown again."""
    case = get_case(case_id)
    check_may_see(case.patient)
    entries = listing.invoices_of_case(case.id)
    bill = sources.approved_bill(case.id)
    bill_entry = None
    if bill is not None:
        bill_entry = next((entry for entry in bills_of_case(case.id) if entry.bill.id == bill.id), None)
    may_work = current_user.role in INVOICE_WORKERS and not case.patient.is_erased
    credit = listing.credit_balances(case.id)
    context = {
        "case": case,
        "entries": entries,
        "accounts": listing.case_accounts(entries, credit),
        "credit": credit,
        "credit_steps": listing.credit_statement(case.id),
        "bill": bill,
        "bill_entry": bill_entry,
        "accepted_offer": accepted_offer(case.id),
        "may_work": may_work,
        "foreign": case.invoicing_currency != base_currency(),
        "base_currency": base_currency(),
        **HELPERS,
    }
    if may_work:
        deposit_form = forms.get("deposit_form") or DepositForm(formdata=None)
        final_form = forms.get("final_form") or FinalForm(formdata=None)
        for form in (deposit_form, final_form):
            rate_hints(form, case.invoicing_currency)
        currency_form = forms.get("currency_form") or CurrencyForm(formdata=None, currency=case.invoicing_currency)
        currency_form.currency.choices = choices((code, code) for code in sorted(currencies()))
        context.update(deposit_form=deposit_form, final_form=final_form, currency_form=currency_form)
        if credit:
            open_invoices = listing.open_for_credit(entries, credit)
            apply_form = forms.get("apply_form") or ApplyCreditForm(formdata=None)
            apply_form.invoice_id.choices = choices(
                (
                    str(invoice.id),
                    _(
                        "%(invoice)s (%(amount)s %(currency)s open)",
                        invoice=shown_label(invoice),
                        amount=entry_open(entries, invoice.id),
                        currency=invoice.currency,
                    ),
                )
                for invoice in open_invoices
            )
            refund_form = forms.get("refund_form") or RefundCreditForm(formdata=None, paid_on=operator_today())
            refund_form.currency.choices = choices((balance.currency, balance.currency) for balance in credit)
            context.update(apply_form=apply_form, refund_form=refund_form, open_invoices=open_invoices)
    return render_template("invoicing/case_invoices.html", **context), status


def entry_open(entries, invoice_id: int):
    return next(entry.outstanding for entry in entries if entry.invoice.id == invoice_id)


def case_page(case_id: int, **forms) -> Callable[[int], object]:
    """The case's invoices page shown again with the submitted form, answering with the given status."""
    return lambda status: render_case_invoices(case_id, status, **forms)


@bp.route("/cases/<int:case_id>/invoices")
@roles_required(*INVOICE_READERS)
def case_invoices(case_id: int):
    return render_case_invoices(case_id)


def _new_draft(case_id: int, change, form, name: str):
    """Make a draft; `change` gives (draft, notes), the notes (what a final draft could not take over) shown as
    warnings."""

    def success(result) -> str:
        invoice, notes = result
        for note in notes:
            flash(note, "warning")
        return _("%(invoice)s made: check it, then issue it.", invoice=shown_label(invoice))

    return commit_change(
        change,
        success=success,
        target=lambda result: url_for("invoicing.show_invoice", invoice_id=result[0].id),
        on_refusal=case_page(case_id, **{name: form}),
    )


@bp.route("/cases/<int:case_id>/invoices/deposit", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def create_deposit_invoice(case_id: int):
    form = DepositForm()
    if not form.validate():
        return refused_form(form, case_page(case_id, deposit_form=form), find=lambda: get_case(case_id))
    return _new_draft(
        case_id,
        lambda: (
            create_deposit_draft(
                case_id,
                actor_id=current_user.id,
                amount=form.amount.data,
                share_percent=form.share_percent.data,
                exchange_rate=form.exchange_rate.data,
                exchange_rate_on=form.exchange_rate_on.data,
            ),
            [],
        ),
        form,
        "deposit_form",
    )


@bp.route("/cases/<int:case_id>/invoices/final", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def create_final_invoice(case_id: int):
    form = FinalForm()
    if not form.validate():
        return refused_form(form, case_page(case_id, final_form=form), find=lambda: get_case(case_id))
    return _new_draft(
        case_id,
        lambda: create_final_draft(
            case_id,
            actor_id=current_user.id,
            exchange_rate=form.exchange_rate.data,
            exchange_rate_on=form.exchange_rate_on.data,
        ),
        form,
        "final_form",
    )


@bp.route("/cases/<int:case_id>/invoicing-currency", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def set_invoicing_currency(case_id: int):
    form = CurrencyForm()
    if not form.validate():
        return refused_form(form, case_page(case_id, currency_form=form), find=lambda: get_case(case_id))
    return commit_change(
        lambda: conversion.set_invoicing_currency(case_id, form.currency.data, actor_id=current_user.id),
        success=lambda case: _(
            "Case %(number)s is invoiced in %(currency)s.", number=case.number, currency=case.invoicing_currency
        ),
        target=url_for("invoicing.case_invoices", case_id=case_id),
        on_refusal=case_page(case_id, currency_form=form),
    )
