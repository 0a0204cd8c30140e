"""Hospital bill pages: finance and administrators receive and work bills; coordinators read them."""

from __future__ import annotations

from datetime import date

from flask import flash, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, BILL_AUDITORS, COORDINATOR, FINANCE, roles_required
from backoffice.billing import bp
from backoffice.billing.bills import listing, originals, receiving, review
from backoffice.billing.bills.forms import (
    ApproveForm,
    BillReceiveForm,
    CorrectionForm,
    DecisionForm,
    DisputeForm,
    LineForm,
    PaidForm,
    VersionedForm,
    VersionForm,
)
from backoffice.billing.bills.states import (
    BLOCKING_STATUSES,
    LINE_STATUS_LABELS,
    LINE_STATUS_WORDS,
    STATUS_LABELS,
    STATUS_WORDS,
)
from backoffice.billing.models import BILL_STATUSES, LINE_STATUSES
from backoffice.billing.tariffs.current import latest_import
from backoffice.cases.operations import get_case
from backoffice.dbtypes import utcnow
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.forms import form_errors
from backoffice.languages import N_
from backoffice.pagination import Page
from backoffice.params import page_number, positive_int
from backoffice.patients.restriction import check_may_see
from backoffice.templating import format_page_money
from backoffice.transactions import commit_change

BILL_WORKERS = BILL_AUDITORS
BILL_READERS = (ADMIN, FINANCE, COORDINATOR)
LINES_PER_PAGE = 100
FINDINGS = "findings"  # the filter chip for every line that is not `ok`
DECIDED = {"accepted": N_("Line %(number)s accepted."), "disputed": N_("Line %(number)s disputed.")}


# ---------------------------------------------------------------------------------------------- lists


@bp.route("/bills")
@roles_required(*BILL_WORKERS)
def list_bills():
    status = request.args.get("status", "")
    status = status if status in BILL_STATUSES else ""
    needs_review = request.args.get("needs_review") == "1"
    page = listing.list_bills(
        status=status or None,
        hospital_id=positive_int(request.args.get("hospital")),
        needs_review=needs_review,
        page=page_number(request.args.get("page")),
    )
    return render_template(
        "billing/bills.html",
        page=page,
        status=status,
        needs_review=needs_review,
        statuses=STATUS_LABELS,
    )


# ---------------------------------------------------------------------------------------------- receiving


def _render_receive(case_id: int, form: BillReceiveForm, status: int = 200):
    case = get_case(case_id)
    tariff = latest_import(case.hospital_id) if case.hospital_id else None
    return render_template("billing/bill_new.html", case=case, form=form, tariff=tariff), status


@bp.route("/cases/<int:case_id>/bills/new", methods=["GET", "POST"])
@roles_required(*BILL_WORKERS)
def receive_bill(case_id: int):
    get_case(case_id)  # an unknown case is a 404 before the upload is read
    form = BillReceiveForm()
    if request.method == "GET":
        form.received_on.data = utcnow().date()
        return _render_receive(case_id, form)
    if not form.validate_on_submit():
        flash(_("Nothing was stored: %(problems)s", problems=" ".join(form_errors(form))), "error")
        return _render_receive(case_id, form, 422)
    upload = form.file.data
    data = upload.stream.read(receiving.max_bill_bytes() + 1) if upload and upload.filename else None

    def receive():
        bill = receiving.receive_bill(
            case_id,
            data,
            upload.filename if data is not None else "",
            form.reference.data,
            form.received_on.data,
            current_user.id,
        )
        count = len(bill.lines)  # read before the commit expires the bill
        return bill.id, ngettext(
            "Bill %(reference)s received: %(num)d line audited.",
            "Bill %(reference)s received: %(num)d lines audited.",
            count,
            reference=bill.reference,
        )

    return commit_change(
        receive,
        success=lambda received: received[1],
        target=lambda received: url_for("billing.show_bill", bill_id=received[0]),
        on_refusal=lambda status: _render_receive(case_id, form, status),
    )


# ---------------------------------------------------------------------------------------------- the bill page


def _filtered(lines, chosen: str):
    if chosen == FINDINGS:
        return [line for line in lines if line.status != "ok"]
    if chosen == "undecided":
        return [line for line in lines if line.status in BLOCKING_STATUSES and line.decision is None]
    if chosen in LINE_STATUSES:
        return [line for line in lines if line.status == chosen]
    return list(lines)


def render_bill_page(bill_id: int, status: int = 200, **forms):
    """The bill, its totals and findings, its lines (filtered, one page) and the forms of what may be done next;
    after a refused change, with the submitted form (and its errors) shown again."""
    bill = listing.get_bill(bill_id, with_lines=True)
    summary = listing.bill_summary(bill)
    case = get_case(bill.case_id)
    check_may_see(case.patient)  # an erased patient's bill: finance and administrators only, read-only
    corrected, correction = listing.corrections_of(bill)
    chosen = request.args.get("status", "")
    chosen = chosen if chosen in (*LINE_STATUSES, FINDINGS, "undecided") else ""
    shown = _filtered(bill.lines, chosen)
    pages = max(1, -(-len(shown) // LINES_PER_PAGE))
    number = min(page_number(request.args.get("page")), pages)
    lines = Page(
        items=shown[(number - 1) * LINES_PER_PAGE : number * LINES_PER_PAGE],
        page=number,
        pages=pages,
        total=len(shown),
        per_page=LINES_PER_PAGE,
    )
    may_work = current_user.role in BILL_WORKERS and not case.patient.is_erased
    context = {
        "bill": bill,
        "case": case,
        "summary": summary,
        "lines": lines,
        "chosen": chosen,
        "corrected": corrected,
        "correction": correction,
        "may_work": may_work,
        "line_labels": LINE_STATUS_LABELS,
        "line_words": LINE_STATUS_WORDS,
        "status_words": STATUS_WORDS,
        "blocking": BLOCKING_STATUSES,
        "format_price": format_page_money,  # unit prices keep every decimal they have, in the page's language
        "format_ratio": lambda ratio: format_decimal(ratio, "0.00"),  # 1.30 (English), 1,30 (German)
        "problems": forms.pop("problems", ()),
        "original_forms": originals.FORM_LABELS,
    }
    if may_work:
        context.update(
            version_form=VersionForm(formdata=None),
            decision_form=forms.get("decision_form") or DecisionForm(formdata=None),
            line_form=forms.get("line_form") or LineForm(formdata=None),
            approve_form=forms.get("approve_form") or ApproveForm(formdata=None),
            dispute_form=forms.get("dispute_form") or DisputeForm(formdata=None),
            paid_form=forms.get("paid_form") or PaidForm(formdata=None, paid_on=utcnow().date()),
            correction_form=forms.get("correction_form") or CorrectionForm(formdata=None, received_on=utcnow().date()),
        )
        for form in context.values():
            if isinstance(form, VersionedForm):  # every form acts on the bill as the page shows it now
                form.version.data = bill.version
    return render_template("billing/bill.html", **context), status


@bp.route("/bills/<int:bill_id>")
@roles_required(*BILL_READERS)
def show_bill(bill_id: int):
    return render_bill_page(bill_id)


@bp.route("/bills/<int:bill_id>/original")
@roles_required(*BILL_READERS)
def download_bill_original(bill_id: int):
    """The file the bill came in (CSV, e-invoice XML or ZUGFeRD PDF), exactly the bytes received."""
    bill = listing.get_bill(bill_id)
    check_may_see(get_case(bill.case_id).patient)
    original = originals.original_of(bill, current_user.id)
    db.session.commit()  # the download's audit row
    return download(original.data, mimetype=original.mimetype, filename=original.filename)


def _change(bill_id: int, change, success, **forms):
    """Run one change of a bill; on refusal show the bill again with the reason and the error's status."""
    return commit_change(
        change,
        success=success,
        target=lambda result: url_for("billing.show_bill", bill_id=getattr(result, "bill_id", None) or result.id),
        on_refusal=lambda status: render_bill_page(bill_id, status, **forms),
    )


def _invalid(bill_id: int, form, name: str):
    listing.get_bill(bill_id)  # an unknown bill is a 404, not a form error
    problems = form_errors(form)
    flash(_("Nothing was changed: %(problems)s", problems=" ".join(problems)), "error")
    return render_bill_page(bill_id, 422, **{name: form})


@bp.route("/bills/<int:bill_id>/lines", methods=["POST"])
@roles_required(*BILL_WORKERS)
def add_bill_line(bill_id: int):
    form = LineForm()
    if not form.validate():
        return _invalid(bill_id, form, "line_form")
    return _change(
        bill_id,
        lambda: receiving.add_line(
            bill_id,
            service_date=form.service_date.data,
            code=form.code.data,
            description=form.description.data,
            quantity=form.quantity.data,
            unit_price=form.unit_price.data,
            currency=form.currency.data,
            actor_id=current_user.id,
            expected_version=form.version.data,
        ),
        lambda line: _(
            "Line %(number)s added: %(status)s.", number=line.line_no, status=_(LINE_STATUS_WORDS[line.status])
        ),
        line_form=form,
    )


@bp.route("/bills/<int:bill_id>/review", methods=["POST"])
@roles_required(*BILL_WORKERS)
def start_bill_review(bill_id: int):
    form = VersionForm()
    if not form.validate():
        return _invalid(bill_id, form, "version_form")
    return _change(
        bill_id,
        lambda: review.start_review(bill_id, actor_id=current_user.id, expected_version=form.version.data),
        lambda bill: _("Bill %(reference)s is under review.", reference=bill.reference),
    )


@bp.route("/bills/<int:bill_id>/lines/<int:line_id>/decision", methods=["POST"])
@roles_required(*BILL_WORKERS)
def decide_bill_line(bill_id: int, line_id: int):
    listing.get_line(bill_id, line_id)  # a line of another bill is a 404
    form = DecisionForm()
    if not form.validate():
        return _invalid(bill_id, form, "decision_form")
    return _change(
        bill_id,
        lambda: review.decide_line(
            line_id,
            form.decision.data,
            form.reason.data,
            actor_id=current_user.id,
            bill_id=bill_id,
            expected_version=form.version.data,
        ),
        lambda line: _(DECIDED[line.decision], number=line.line_no),
        decision_form=form,
    )


@bp.route("/bills/<int:bill_id>/approve", methods=["POST"])
@roles_required(*BILL_WORKERS)
def approve_bill(bill_id: int):
    form = ApproveForm()
    if not form.validate():
        return _invalid(bill_id, form, "approve_form")
    return _change(
        bill_id,
        lambda: review.approve_bill(
            bill_id, actor_id=current_user.id, override_note=form.override_note.data, expected_version=form.version.data
        ),
        lambda bill: _("Bill %(reference)s approved.", reference=bill.reference),
        approve_form=form,
    )


@bp.route("/bills/<int:bill_id>/dispute", methods=["POST"])
@roles_required(*BILL_WORKERS)
def dispute_bill(bill_id: int):
    form = DisputeForm()
    if not form.validate():
        return _invalid(bill_id, form, "dispute_form")
    return _change(
        bill_id,
        lambda: review.dispute_bill(
            bill_id, actor_id=current_user.id, note=form.note.data, expected_version=form.version.data
        ),
        lambda bill: _("Bill %(reference)s disputed: send the hospital its disputed lines.", reference=bill.reference),
        dispute_form=form,
    )


@bp.route("/bills/<int:bill_id>/correction", methods=["POST"])
@roles_required(*BILL_WORKERS)
def receive_correction(bill_id: int):
    form = CorrectionForm()
    if not form.validate():
        return _invalid(bill_id, form, "correction_form")
    upload = form.file.data
    data = upload.stream.read(receiving.max_bill_bytes() + 1)
    return _change(
        bill_id,
        lambda: receiving.receive_correction(
            bill_id,
            data,
            upload.filename,
            form.reference.data,
            form.received_on.data,
            current_user.id,
            expected_version=form.version.data,
        ),
        lambda bill: _("Corrected bill %(reference)s received and under review.", reference=bill.reference),
        correction_form=form,
    )


@bp.route("/bills/<int:bill_id>/paid", methods=["POST"])
@roles_required(*BILL_WORKERS)
def mark_bill_paid(bill_id: int):
    form = PaidForm()
    if not form.validate():
        return _invalid(bill_id, form, "paid_form")
    paid_on: date = form.paid_on.data
    return _change(
        bill_id,
        lambda: review.mark_paid(bill_id, paid_on, actor_id=current_user.id, expected_version=form.version.data),
        lambda bill: _("Bill %(reference)s marked paid.", reference=bill.reference),
        paid_form=form,
    )
