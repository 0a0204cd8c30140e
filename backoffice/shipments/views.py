"""Medicine order pages: coordinators and administrators write, submit and cancel orders and watch their jobs;
finance reads orders (their costs); patients never. The pharmacy directory: administrators change it, coordinators
read it."""

from __future__ import annotations

import logging
import secrets

from flask import flash, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from rq.job import Job, JobStatus

from backoffice.auth.permissions import (
    CARE_COORDINATORS,
    STAFF_ROLES,
    may_see_health_data,
    roles_required,
)
from backoffice.auth.reads import reads_health_data
from backoffice.cases import reminders
from backoffice.cases.models import CaseDocument
from backoffice.cases.operations import get_case
from backoffice.extensions import db
from backoffice.forms import choices, form_errors
from backoffice.geo import country_name
from backoffice.jobs import outbox, redis_connection
from backoffice.languages import N_, page_language
from backoffice.shipments import bp, operations, pharmacies
from backoffice.shipments.forms import CancelForm, EditOrderForm, OrderForm, VersionForm, order_form_data
from backoffice.shipments.models import SANDBOX_BEHAVIOUR_LABELS, MedicineOrder, OrderStep
from backoffice.templating import format_datetime
from backoffice.transactions import commit_change

log = logging.getLogger(__name__)

ORDER_READERS = STAFF_ROLES  # finance reads orders for their costs
ORDER_WORKERS = CARE_COORDINATORS
FINISHED = ("delivered", "failed", "cancelled")  # nothing runs any more: the page stops refreshing
LIVE_STATES = ("running", "retrying")  # steps whose job may be reporting progress right now
STEP_TIME = "%Y-%m-%d %H:%M:%S"
STEP_STATE_LABELS = {
    "pending": N_("Waiting"),
    "running": N_("Running"),
    "retrying": N_("Will retry"),
    "done": N_("Done"),
    "failed": N_("Failed"),
}


def _to_order(order_id: int) -> str:
    return url_for("shipments.show_order", order_id=order_id)


def _commit_and_kick(change, **arguments):
    """`commit_change`, then send the jobs the change recorded to RQ at once (after the commit: a job must not
    start before the order it works on is stored)."""
    return commit_change(change, after_commit=_send_recorded_jobs, **arguments)


def _send_recorded_jobs() -> None:
    """If sending fails, the order is stored and its job recorded: the dispatcher sends it on its next round."""
    try:
        outbox.kick()
    except Exception:
        db.session.rollback()
        log.exception("sending the recorded jobs right away failed; the dispatcher will send them")


# ---------------------------------------------------------------------------------------------- the order form


def _pharmacy_label(pharmacy, sandbox: bool) -> str:
    label = f"{pharmacy.name}, {pharmacy.city}" if pharmacy.city else pharmacy.name
    label += f" ({pharmacy.country})"
    if pharmacy.cold_chain:
        label += " · " + _("cold chain")
    return label + (" " + _("(sandbox)") if sandbox else "")


def _document_label(document: CaseDocument) -> str:
    label = document.original_filename
    if document.description:
        label += f" — {document.description}"
    return _("%(document)s (uploaded %(day)s)", document=label, day=document.uploaded_at.date().isoformat())


def _render_form(case_id: int, form: OrderForm, order: MedicineOrder | None, status: int = 200):
    case = get_case(case_id)  # again: after a rollback the loaded case is expired
    available = operations.active_pharmacies()
    sandbox = {pharmacy.id: pharmacies.is_sandbox(pharmacy.provider) for pharmacy in available}
    form.pharmacy_id.choices = choices(
        [("", _("Choose a pharmacy")), *((str(p.id), _pharmacy_label(p, sandbox[p.id])) for p in available)]
    )
    if not case.patient.address:
        form.delivery_address.description = _("The patient's address is not on file: enter where to deliver.")
    documents = operations.prescriptions_of_case(case.id)
    form.prescription_id.choices = choices(
        [("", _("None yet (upload it to the case)")), *((str(d.id), _document_label(d)) for d in documents)]
    )
    return render_template(
        "shipments/order_form.html",
        case=case,
        form=form,
        order=order,
        has_pharmacies=bool(available),
        # The sandbox behaviour matters only for sandbox pharmacies: shown when one may be chosen, with a hint
        # when real ones may be chosen too (the page cannot know the choice before it is made).
        sandbox_offered=any(sandbox.values()),
        sandbox_only=bool(sandbox) and all(sandbox.values()),
    ), status


def _refused_form(case_id: int, form: OrderForm, order: MedicineOrder | None):
    flash(_("Nothing was stored: %(problems)s", problems=" ".join(form.problems())), "error")
    return _render_form(case_id, form, order, 422)


def _saved(order: MedicineOrder, submitted: bool) -> str:
    if submitted:
        return _(
            "Medicine order #%(number)s submitted to %(pharmacy)s: the purchase starts now.",
            number=order.id,
            pharmacy=order.pharmacy.name,
        )
    return _("Medicine order #%(number)s saved as a draft.", number=order.id)


@bp.route("/cases/<int:case_id>/medicine-orders/new", methods=["GET", "POST"])
@roles_required(*ORDER_WORKERS)
@reads_health_data(case_arg="case_id")
def create_order(case_id: int):
    case = get_case(case_id)
    if request.method == "GET":
        data = {**order_form_data(None, case), "client_token": secrets.token_hex(16)}
        return _render_form(case_id, OrderForm(formdata=None, data=data), None)
    form = OrderForm()
    if not form.validate():
        return _refused_form(case_id, form, None)
    submit = request.form.get("action") == "submit"

    def change():
        order = operations.create_order(
            case_id, form.order_input(), actor_id=current_user.id, client_token=form.client_token.data
        )
        if submit:
            order = operations.submit_order(order.id, actor_id=current_user.id, expected_version=None)
        return order

    return _commit_and_kick(
        change,
        success=lambda order: _saved(order, submit),
        target=lambda order: _to_order(order.id),
        on_refusal=lambda status: _render_form(case_id, form, None, status),
    )


@bp.route("/medicine-orders/<int:order_id>/edit", methods=["GET", "POST"])
@roles_required(*ORDER_WORKERS)
@reads_health_data(record=MedicineOrder, record_arg="order_id")
def edit_order(order_id: int):
    order = operations.get_order(order_id)
    case_id = order.case_id
    if order.status != "draft":
        flash(operations.only_drafts_change(order), "error")
        return render_order_page(order_id, 422)
    if request.method == "GET":
        return _render_form(
            case_id, EditOrderForm(formdata=None, data=order_form_data(order, get_case(case_id))), order
        )
    form = EditOrderForm()
    if not form.validate():
        return _refused_form(case_id, form, order)
    submit = request.form.get("action") == "submit"

    def change():
        changed = operations.update_order(
            order_id, form.order_input(), actor_id=current_user.id, expected_version=form.version.data
        )
        if submit:
            changed = operations.submit_order(order_id, actor_id=current_user.id, expected_version=None)
        return changed

    return _commit_and_kick(
        change,
        success=lambda changed: _saved(changed, submit),
        target=lambda changed: _to_order(changed.id),
        on_refusal=lambda status: _render_form(case_id, form, operations.get_order(order_id), status),
    )


# ---------------------------------------------------------------------------------------------- the order page


def live_progress(steps: list[OrderStep]) -> dict[str, str]:
    """What the jobs running now last said (RQ job.meta["progress"]), by step. Nothing when Redis does not answer or
    the job is gone or finished: the step's state, attempts and last error, from the database, still tell the story."""
    watched = [step for step in steps if step.state in LIVE_STATES and step.job_id]
    if not watched:
        return {}
    try:
        jobs = Job.fetch_many([step.job_id for step in watched], connection=redis_connection(timeout=1))
        said = {}
        for step, job in zip(watched, jobs, strict=True):
            # A finished run's last word ("...: done") does not describe a step that is still open (tracking
            # between two checks, a purchase waiting to be tried again).
            if job is None or job.get_status(refresh=False) != JobStatus.STARTED:
                continue
            text = str(job.meta.get("progress") or "")
            said[step.step] = text.removeprefix(f"{step.label}: ")
        return said
    except Exception as error:  # Redis down or slow, a job that cannot be read: the page shows without it
        log.warning("progress of medicine order jobs unavailable: %s", error)
        return {}


def _step_news(step: OrderStep, live: dict[str, str]) -> str:
    if live.get(step.step):
        return live[step.step]
    if step.step == "track" and step.state == "running" and step.result:  # between two tracking checks
        said = step.result.get("detail") or step.result.get("status")
        return _("Carrier: %(said)s (check %(number)s)", said=said, number=step.result.get("polls"))
    return ""


def _cancellable(order: MedicineOrder) -> bool:
    purchase = next((step for step in order.steps if step.step == "purchase"), None)
    return order.status in operations.CANCELLABLE and (
        purchase is None or (purchase.state == "pending" and purchase.attempts == 0)
    )


def _steps_data(order: MedicineOrder, progress: dict[str, str]) -> list[dict]:
    return [
        {
            "step": step.step,
            "label": _(step.label),
            "state": step.state,
            "state_label": _(STEP_STATE_LABELS[step.state]) if step.state in STEP_STATE_LABELS else step.state,
            "attempts": step.attempts,
            "last_error": step.last_error,
            "progress": _step_news(step, progress),
            "started_at": step.started_at.isoformat() if step.started_at else None,
            "finished_at": step.finished_at.isoformat() if step.finished_at else None,
            "started": format_datetime(step.started_at, STEP_TIME),  # as the page shows them
            "finished": format_datetime(step.finished_at, STEP_TIME),
        }
        for step in order.steps
    ]


def reason_shown(order: MedicineOrder, health_data: bool) -> str:
    """Why the order stopped, as the reader may see it: a cancellation's reason is the coordinator's words about the
    patient (health data), a failure's is what the pharmacy or carrier answered."""
    if order.status == "cancelled" and not health_data:
        return ""
    return order.failure_reason or ""


def render_order_page(order_id: int, status: int = 200, **forms):
    """The order, its steps with their live progress, and what may be done next; after a refused change, with the
    submitted form shown again."""
    order = operations.get_order(order_id)
    case = get_case(order.case_id)
    health_data = may_see_health_data()
    prescription = None
    if order.prescription_id is not None and health_data:
        prescription = db.session.get(CaseDocument, order.prescription_id)
    may_work = current_user.role in ORDER_WORKERS
    context = {
        "order": order,
        "case": case,
        "prescription": prescription,
        "health_data": health_data,
        "reason": reason_shown(order, health_data),
        "may_work": may_work,
        "sandbox": pharmacies.is_sandbox(order.pharmacy.provider),
        "provider_label": pharmacies.provider_label(order.pharmacy.provider),
        "sandbox_labels": {value: _(label) for value, label in SANDBOX_BEHAVIOUR_LABELS.items()},
        "country_name": lambda code: country_name(code, page_language()),
        "steps": _steps_data(order, live_progress(order.steps)),
        "finished": order.status in FINISHED,
        "cancellable": _cancellable(order),
        "reminder": reminders.open_reminder_about("medicine_order", order.id),
    }
    if may_work:
        cancel_form = forms.get("cancel_form") or CancelForm(formdata=None)
        cancel_form.version.data = order.version  # every form acts on the order as the page shows it now
        context.update(version_form=VersionForm(formdata=None, version=order.version), cancel_form=cancel_form)
    return render_template("shipments/order.html", **context), status


@bp.route("/medicine-orders/<int:order_id>")
@roles_required(*ORDER_READERS)
@reads_health_data(record=MedicineOrder, record_arg="order_id")
def show_order(order_id: int):
    return render_order_page(order_id)


@bp.route("/medicine-orders/<int:order_id>/progress.json")
@roles_required(*ORDER_READERS)
@reads_health_data(record=MedicineOrder, record_arg="order_id")
def order_progress(order_id: int):
    """The order's status and steps for the page's poller (static/js/medicine-order.js)."""
    order = operations.get_order(order_id)
    return jsonify(
        {
            "id": order.id,
            "status": order.status,
            "status_label": order.status_label,
            "finished": order.status in FINISHED,
            "failure_reason": reason_shown(order, may_see_health_data()),
            "version": order.version,
            "steps": _steps_data(order, live_progress(order.steps)),
        }
    )


def _invalid(order_id: int, form, **forms):
    operations.get_order(order_id)  # an unknown order is a 404, not a form error
    flash(_("Nothing was changed: %(problems)s", problems=" ".join(form_errors(form))), "error")
    return render_order_page(order_id, 422, **forms)


@bp.route("/medicine-orders/<int:order_id>/submit", methods=["POST"])
@roles_required(*ORDER_WORKERS)
def submit_order(order_id: int):
    form = VersionForm()
    if not form.validate():
        return _invalid(order_id, form)
    return _commit_and_kick(
        lambda: operations.submit_order(order_id, actor_id=current_user.id, expected_version=form.version.data),
        success=lambda order: _saved(order, True),
        target=lambda order: _to_order(order.id),
        on_refusal=lambda status: render_order_page(order_id, status),
    )


@bp.route("/medicine-orders/<int:order_id>/cancel", methods=["POST"])
@roles_required(*ORDER_WORKERS)
def cancel_order(order_id: int):
    form = CancelForm()
    if not form.validate():
        return _invalid(order_id, form, cancel_form=form)
    return commit_change(
        lambda: operations.cancel_order(
            order_id, actor_id=current_user.id, reason=form.reason.data, expected_version=form.version.data
        ),
        success=lambda order: _("Medicine order #%(number)s cancelled: nothing will be bought.", number=order.id),
        target=lambda order: _to_order(order.id),
        on_refusal=lambda status: render_order_page(order_id, status, cancel_form=form),
    )


# ---------------------------------------------------------------------------------------------- pharmacies
