"""Invoice pages: finance and administrators draft, issue, correct and collect invoices; coordinators read them and
download their PDFs; patients never reach these pages (they have the portal).

Every change is one operation through `commit_change`: refused, it is rolled back and the page shown again with the
reason and the error's status. An issued invoice has no edit forms, but its edit routes still answer: with a 409
saying to issue a credit note, the attempt kept in the audit log (the operation's trace).
"""

from __future__ import annotations

from decimal import Decimal

from flask import flash, render_template, request, url_for
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, COORDINATOR, FINANCE, INVOICERS, roles_required
from backoffice.billing import bills as billing_bills
from backoffice.cases.operations import get_case
from backoffice.downloads import download
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.forms import choices
from backoffice.invoicing import archive, bp, credits, issuing, listing, operations, payments, queries, sources
from backoffice.invoicing.forms import (
    EXEMPT,
    TAXED,
    ApplyCreditForm,
    ChosenLinesError,
    CreditNoteForm,
    CurrencyForm,
    DepositForm,
    FinalForm,
    HeaderForm,
    LineForm,
    PaymentForm,
    RateForm,
    RefundCreditForm,
    VersionedForm,
    VersionForm,
    chosen_lines,
)
from backoffice.invoicing.models import KIND_LABELS, PAYMENT_METHOD_LABELS, Invoice
from backoffice.invoicing.totals import minor_digits, vat_in_base
from backoffice.money import currencies, format_money
from backoffice.params import positive_int
from backoffice.trail import record_event
from backoffice.transactions import commit_change

INVOICE_WORKERS = INVOICERS
INVOICE_READERS = (ADMIN, FINANCE, COORDINATOR)


def _form_problems(form) -> list[str]:
    problems = []
    for name, errors in form.errors.items():
        label = "" if name in ("version", "csrf_token") else getattr(form, name).label.text
        problems.extend(f"{label}: {error}" if label else error for error in errors)
    return problems


def _percent(rate: Decimal) -> str:
    return f"{Decimal(rate).normalize():f} %"


def _quantity(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _price(amount: Decimal, currency: str) -> Decimal:
    """A unit price with the decimals it needs: at least the currency's (3,900.00), up to the 4 it may have."""
    digits = minor_digits(currency)
    trimmed = Decimal(amount).normalize()
    if -trimmed.as_tuple().exponent < digits:
        trimmed = trimmed.quantize(Decimal(1).scaleb(-digits))
    return trimmed


def _rate_hints(form: RateForm, currency: str) -> None:
    form.exchange_rate.description = (
        f"1 {operations.base_currency()} = ? {currency}; required while the case is invoiced in {currency}."
    )
    form.exchange_rate_on.description = "The day the rate is from (not in the future)."


HELPERS = {"percent": _percent, "quantity": _quantity, "price": _price, "status_label": listing.status_label}


# ---------------------------------------------------------------------------------------------- the list


@bp.route("/invoices")
@roles_required(*INVOICE_WORKERS)
def list_invoices():
    filters = listing.InvoiceFilters.from_args(request.args)  # a filter naming nothing: a 400 with a message
    return render_template(
        "invoicing/list.html",
        page=listing.list_invoices(filters),
        filters=filters,
        statuses=listing.STATUS_LABELS,
        kinds=KIND_LABELS,
    )


# ---------------------------------------------------------------------------------------------- a case's invoices


def render_case_invoices(case_id: int, status: int = 200, **forms):
    """The case's invoices and account, its estimate and approved bill, and (finance) the forms to make drafts;
    after a refused change, with the submitted form (and its errors) shown again."""
    case = get_case(case_id)
    entries = listing.invoices_of_case(case.id)
    bill = sources.approved_bill(case.id)
    bill_entry = None
    if bill is not None:
        bill_entry = next((entry for entry in billing_bills.bills_of_case(case.id) if entry.bill.id == bill.id), None)
    may_work = current_user.role in INVOICE_WORKERS
    credit = listing.credit_balances(case.id)
    context = {
        "case": case,
        "entries": entries,
        "accounts": listing.case_accounts(entries, credit),
        "credit": credit,
        "credit_steps": listing.credit_statement(case.id),
        "bill": bill,
        "bill_entry": bill_entry,
        "may_work": may_work,
        "foreign": case.invoicing_currency != operations.base_currency(),
        "base_currency": operations.base_currency(),
        **HELPERS,
    }
    if may_work:
        deposit_form = forms.get("deposit_form") or DepositForm(formdata=None)
        final_form = forms.get("final_form") or FinalForm(formdata=None)
        for form in (deposit_form, final_form):
            _rate_hints(form, case.invoicing_currency)
        currency_form = forms.get("currency_form") or CurrencyForm(formdata=None, currency=case.invoicing_currency)
        currency_form.currency.choices = choices((code, code) for code in sorted(currencies()))
        context.update(deposit_form=deposit_form, final_form=final_form, currency_form=currency_form)
        if credit:
            held = {balance.currency for balance in credit}
            # Only the case's open invoices in a currency the credit holds: never across currencies.
            open_invoices = [
                entry.invoice
                for entry in entries
                if entry.account is not None and entry.account.outstanding > 0 and entry.invoice.currency in held
            ]
            apply_form = forms.get("apply_form") or ApplyCreditForm(formdata=None)
            apply_form.invoice_id.choices = choices(
                (str(invoice.id), f"{invoice.label} ({entry_open(entries, invoice.id)} {invoice.currency} open)")
                for invoice in open_invoices
            )
            refund_form = forms.get("refund_form") or RefundCreditForm(
                formdata=None, paid_on=operations.operator_today()
            )
            refund_form.currency.choices = choices((balance.currency, balance.currency) for balance in credit)
            context.update(apply_form=apply_form, refund_form=refund_form, open_invoices=open_invoices)
    return render_template("invoicing/case_invoices.html", **context), status


def entry_open(entries, invoice_id: int):
    return next(entry.outstanding for entry in entries if entry.invoice.id == invoice_id)


@bp.route("/cases/<int:case_id>/invoices")
@roles_required(*INVOICE_READERS)
def case_invoices(case_id: int):
    return render_case_invoices(case_id)


def _invalid_case_form(case_id: int, form, name: str):
    get_case(case_id)  # an unknown case is a 404, not a form error
    flash("Nothing was stored: " + " ".join(_form_problems(form)), "error")
    return render_case_invoices(case_id, 422, **{name: form})


def _new_draft(case_id: int, change, form, name: str):
    """Make a draft; `change` gives (draft, notes), the notes (what a final draft could not take over) shown as
    warnings."""

    def success(result) -> str:
        invoice, notes = result
        for note in notes:
            flash(note, "warning")
        return f"{invoice.label} made: check it, then issue it."

    return commit_change(
        change,
        success=success,
        target=lambda result: url_for("invoicing.show_invoice", invoice_id=result[0].id),
        on_refusal=lambda status: render_case_invoices(case_id, status, **{name: form}),
    )


@bp.route("/cases/<int:case_id>/invoices/deposit", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def create_deposit_invoice(case_id: int):
    form = DepositForm()
    if not form.validate():
        return _invalid_case_form(case_id, form, "deposit_form")
    return _new_draft(
        case_id,
        lambda: (
            operations.create_deposit_draft(
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
        return _invalid_case_form(case_id, form, "final_form")
    return _new_draft(
        case_id,
        lambda: operations.create_final_draft(
            case_id,
            actor_id=current_user.id,
            exchange_rate=form.exchange_rate.data,
            exchange_rate_on=form.exchange_rate_on.data,
        ),
        form,
        "final_form",
    )


@bp.route("/cases/<int:case_id>/credit/apply", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def apply_case_credit(case_id: int):
    form = ApplyCreditForm()
    if not form.validate():
        return _invalid_case_form(case_id, form, "apply_form")
    return commit_change(
        lambda: credits.apply_credit(
            case_id, positive_int(form.invoice_id.data), actor_id=current_user.id, amount=form.amount.data
        ),
        success=lambda payment: f"{format_money(payment.amount, payment.currency)} of the case's credit applied.",
        target=url_for("invoicing.case_invoices", case_id=case_id),
        on_refusal=lambda status: render_case_invoices(case_id, status, apply_form=form),
    )


@bp.route("/cases/<int:case_id>/credit/refund", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def refund_case_credit(case_id: int):
    form = RefundCreditForm()
    if not form.validate():
        return _invalid_case_form(case_id, form, "refund_form")
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
        success=lambda step: f"Refund of {format_money(-step.amount, step.currency)} from the case's credit recorded.",
        target=url_for("invoicing.case_invoices", case_id=case_id),
        on_refusal=lambda status: render_case_invoices(case_id, status, refund_form=form),
    )


@bp.route("/cases/<int:case_id>/invoicing-currency", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def set_invoicing_currency(case_id: int):
    form = CurrencyForm()
    if not form.validate():
        return _invalid_case_form(case_id, form, "currency_form")
    return commit_change(
        lambda: operations.set_invoicing_currency(case_id, form.currency.data, actor_id=current_user.id),
        success=lambda case: f"Case {case.number} is invoiced in {case.invoicing_currency}.",
        target=url_for("invoicing.case_invoices", case_id=case_id),
        on_refusal=lambda status: render_case_invoices(case_id, status, currency_form=form),
    )


# ---------------------------------------------------------------------------------------------- the invoice page


def render_invoice_page(invoice_id: int, status: int = 200, **forms):
    """An invoice or credit note: header, lines, totals, deductions, account; for finance, the forms of what may be
    done next (editing a draft; payments, refunds and credit notes on an issued invoice). After a refused change,
    with the submitted form (and its errors) shown again."""
    invoice = operations.get_invoice(invoice_id)
    case = get_case(invoice.case_id)
    account = None if invoice.is_draft or invoice.is_credit_note else payments.account_of(invoice)
    may_work = current_user.role in INVOICE_WORKERS
    foreign = invoice.currency != invoice.base_currency
    totals = operations.totals_of(invoice)
    context = {
        "invoice": invoice,
        "case": case,
        "totals": totals,
        # An invoice in another currency states its VAT in the base currency too, at its rate (as printed).
        "base_vat": [
            (group, vat_in_base(group.tax, invoice.exchange_rate, invoice.base_currency))
            for group in totals.by_rate
            if not group.exempt and foreign and invoice.exchange_rate
        ],
        "account": account,
        "credit_notes": [] if invoice.is_credit_note else listing.credit_notes_of(invoice.id),
        "may_work": may_work,
        "foreign": foreign,
        "methods": PAYMENT_METHOD_LABELS,
        **HELPERS,
    }
    if may_work and invoice.is_draft:
        header_form = forms.get("header_form") or HeaderForm(
            formdata=None,
            bill_to_name=invoice.bill_to_name,
            bill_to_address=invoice.bill_to_address,
            service_from=invoice.service_from,
            service_to=invoice.service_to,
            note=invoice.note,
            exchange_rate=f"{invoice.exchange_rate.normalize():f}" if invoice.exchange_rate is not None else "",
            exchange_rate_on=invoice.exchange_rate_on,
        )
        _rate_hints(header_form, invoice.currency)
        line_form = forms.get("line_form") or LineForm(formdata=None)
        line_form.vat.choices = choices(
            [(EXEMPT, "VAT-exempt medical treatment"), (TAXED, f"Taxed at {_percent(operations.vat_rate())}")]
        )
        context.update(header_form=header_form, line_form=line_form, version_form=VersionForm(formdata=None))
    if may_work and account is not None:
        today = operations.operator_today()
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


@bp.route("/invoices/<int:invoice_id>")
@roles_required(*INVOICE_READERS)
def show_invoice(invoice_id: int):
    return render_invoice_page(invoice_id)


def _change(invoice_id: int, change, success, target=None, **forms):
    """Run one change of an invoice; on refusal show the invoice again with the reason and the error's status."""
    return commit_change(
        change,
        success=success,
        target=target or url_for("invoicing.show_invoice", invoice_id=invoice_id),
        on_refusal=lambda status: render_invoice_page(invoice_id, status, **forms),
    )


def _invalid(invoice_id: int, form, name: str, *, attempted: str | None = None):
    """A form that cannot be read. On an issued invoice an edit is refused as such whatever the form held (409,
    kept in the audit log): the attempt is what matters, not its typos."""
    invoice = operations.get_invoice(invoice_id)  # an unknown invoice is a 404, not a form error
    if attempted is not None and not invoice.is_draft:
        return _change(invoice_id, lambda: operations.refuse_change(invoice, current_user.id, attempted), "")
    flash("Nothing was changed: " + " ".join(_form_problems(form)), "error")
    return render_invoice_page(invoice_id, 422, **{name: form})


@bp.route("/invoices/<int:invoice_id>/edit", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def edit_invoice(invoice_id: int):
    form = HeaderForm()
    if not form.validate():
        return _invalid(invoice_id, form, "header_form", attempted="edit")
    return _change(
        invoice_id,
        lambda: operations.update_draft(
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
        ),
        lambda invoice: f"{invoice.label} saved.",
        header_form=form,
    )


@bp.route("/invoices/<int:invoice_id>/lines", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def add_invoice_line(invoice_id: int):
    form = LineForm()
    if not form.validate():
        return _invalid(invoice_id, form, "line_form", attempted="add line")
    return _change(
        invoice_id,
        lambda: operations.add_line(
            invoice_id,
            actor_id=current_user.id,
            expected_version=form.version.data,
            kind=form.kind.data,
            description=form.description.data,
            quantity=form.quantity.data,
            unit_price=form.unit_price.data,
            taxed=form.taxed,
            service_on=form.service_on.data,
        ),
        lambda line: f"Line {line.position} added: {format_money(line.net_amount, line.invoice.currency)} net.",
        line_form=form,
    )


@bp.route("/invoices/<int:invoice_id>/lines/<int:line_id>/remove", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def remove_invoice_line(invoice_id: int, line_id: int):
    form = VersionForm()
    if not form.validate():
        return _invalid(invoice_id, form, "version_form", attempted="remove line")
    return _change(
        invoice_id,
        lambda: operations.remove_line(
            invoice_id, line_id, actor_id=current_user.id, expected_version=form.version.data
        ),
        "Line removed.",
    )


@bp.route("/invoices/<int:invoice_id>/issue", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def issue_invoice(invoice_id: int):
    form = VersionForm()
    if not form.validate():
        return _invalid(invoice_id, form, "version_form")
    return _change(
        invoice_id,
        lambda: issuing.issue_invoice(invoice_id, actor_id=current_user.id, expected_version=form.version.data),
        lambda invoice: f"{invoice.kind_label} {invoice.number} issued; its PDF is archived.",
    )


@bp.route("/invoices/<int:invoice_id>/delete", methods=["POST"])
@roles_required(*INVOICE_WORKERS)
def delete_invoice(invoice_id: int):
    form = VersionForm()
    if not form.validate():
        return _invalid(invoice_id, form, "version_form", attempted="delete")
    return _change(
        invoice_id,
        lambda: operations.delete_draft(invoice_id, actor_id=current_user.id, expected_version=form.version.data).id,
        "The draft was deleted (it never had a number).",
        target=lambda case_id: url_for("invoicing.case_invoices", case_id=case_id),
    )


def _recorded(what: str, payment) -> str:
    message = f"{what} of {format_money(abs(payment.amount), payment.currency)} recorded."
    if payment.to_credit:
        excess = format_money(payment.to_credit, payment.currency)
        message += f" {excess} above what was open is a credit on the case's account."
    return message


def _record(invoice_id: int, *, refund: bool):
    name = "refund_form" if refund else "payment_form"
    form = PaymentForm()
    if not form.validate():
        return _invalid(invoice_id, form, name)
    what = "Refund" if refund else "Payment"
    return _change(
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
        lambda payment: _recorded(what, payment),
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


# ---------------------------------------------------------------------------------------------- credit notes


def render_credit_note_form(invoice_id: int, form: CreditNoteForm, status: int = 200, chosen=None):
    """The issued invoice's lines, each with what is left of it to credit; the lines chosen so far stay ticked."""
    invoice = operations.get_invoice(invoice_id)
    if invoice.is_draft or invoice.is_credit_note:
        raise operations.InvoiceError(
            "Only an issued invoice is corrected with a credit note; a draft is edited or deleted, and a credit note "
            "is not credited."
        )
    context = {
        "invoice": invoice,
        "case": get_case(invoice.case_id),
        "form": form,
        "left": operations.creditable_lines(invoice),
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
        operations.get_invoice(invoice_id)  # an unknown invoice is a 404
        flash(f"Nothing was stored: {error}", "error")
        return render_credit_note_form(invoice_id, form, 422)
    if not form.validate():
        operations.get_invoice(invoice_id)
        flash("Nothing was stored: " + " ".join(_form_problems(form)), "error")
        return render_credit_note_form(invoice_id, form, 422, amounts)
    return commit_change(
        lambda: operations.create_credit_note_draft(
            invoice_id, actor_id=current_user.id, reason=form.reason.data, amounts=amounts
        ),
        success=lambda note: f"{note.label} made: check it, then issue it.",
        target=lambda note: url_for("invoicing.show_invoice", invoice_id=note.id),
        on_refusal=lambda status: render_credit_note_form(invoice_id, form, status, amounts),
    )


# ---------------------------------------------------------------------------------------------- the PDF


@bp.route("/invoices/<string(maxlength=20):number>.pdf")
@roles_required(*INVOICE_READERS)
def download_invoice_pdf(number: str):
    """The archived PDF of an issued invoice or credit note, exactly the bytes issued (checked against its SHA-256)."""
    invoice: Invoice | None = queries.issued_by_number(number)
    if invoice is None:
        raise NotFound("There is no issued invoice or credit note with that number.")
    pdf = archive.read_pdf(invoice.pdf_filename, invoice.pdf_sha256)  # missing or altered: a 503 with a message
    # Who read which patient's financial document, as for the portal's downloads.
    record_event(
        "invoice.downloaded",
        actor_id=current_user.id,
        object_type="invoice",
        object_id=invoice.id,
        details={"number": invoice.number, "case_id": invoice.case_id},
    )
    db.session.commit()
    return download(pdf, mimetype="application/pdf", filename=f"{invoice.number}.pdf")
