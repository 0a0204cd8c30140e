"""Follow-ups after discharge: the due list, one follow-up, and marking it done, moving or cancelling it."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import CARE_COORDINATORS, roles_required
from backoffice.auth.reads import reads_health_data
from backoffice.cases.case_page import change_case, refuse_form
from backoffice.dbtypes import utcnow
from backoffice.logistics import bp
from backoffice.logistics.follow_ups import lists, operations
from backoffice.logistics.follow_ups.forms import (
    MINE,
    AddFollowUpForm,
    CancelForm,
    DoneForm,
    DueFilters,
    RescheduleForm,
    safe_back_to,
)
from backoffice.logistics.models import FollowUp
from backoffice.transactions import commit_change

FOLLOW_UP_WORKERS = CARE_COORDINATORS


@bp.app_template_global("today_utc")
def today_utc() -> date:
    """Today's date in UTC, for templates that mark overdue follow-ups (the case page's partial)."""
    return utcnow().date()


@bp.route("/follow-ups/")
@roles_required(*FOLLOW_UP_WORKERS)
@reads_health_data()
def due_follow_ups():
    filters = DueFilters.from_args(request.args, role=current_user.role)
    today = today_utc()
    until = today + timedelta(days=filters.within_days)
    page = lists.due_follow_ups(
        current_user.id if filters.who == MINE else None,
        until=until,
        overdue_only=filters.overdue,
        today=today,
        page=filters.page,
    )
    return render_template(
        "logistics/follow_ups.html",
        page=page,
        filters=filters,
        today=today,
        until=until,
        back_to=request.full_path.rstrip("?"),
    )


@bp.route("/follow-ups/<int:follow_up_id>")
@roles_required(*FOLLOW_UP_WORKERS)
@reads_health_data(record=FollowUp, record_arg="follow_up_id")
def show_follow_up(follow_up_id: int):
    return _render_follow_up(follow_up_id, back_to=safe_back_to(request.args.get("back_to")))


def _render_follow_up(follow_up_id: int, status: int = 200, back_to: str | None = None, **forms):
    item = lists.follow_up_with_case(follow_up_id)
    back_to = back_to or ""
    return (
        render_template(
            "logistics/follow_ups_detail.html",
            item=item,
            follow_up=item.follow_up,
            case=item.case,
            today=today_utc(),
            done_form=forms.get("done_form") or DoneForm(formdata=None, back_to=back_to, done_on=today_utc()),
            reschedule_form=forms.get("reschedule_form") or RescheduleForm(formdata=None, back_to=back_to),
            cancel_form=forms.get("cancel_form") or CancelForm(formdata=None, back_to=back_to),
        ),
        status,
    )


def _change(follow_up_id: int, form_name: str, form, change, success: str):
    """Validate the form, run one change, commit and go back; on refusal show the follow-up again with the reason."""
    back_to = safe_back_to(form.back_to.data)
    if not form.validate():
        messages = [f"{getattr(form, name).label.text}: {errors[0]}" for name, errors in form.errors.items()]
        flash(" ".join(messages) or _("The form was incomplete."), "error")
        return _render_follow_up(follow_up_id, 422, back_to, **{form_name: form})
    return commit_change(
        change,
        success=lambda follow_up: success % {"label": follow_up.label},
        target=lambda follow_up: back_to or url_for("cases.show_case", case_id=follow_up.case_id, _anchor="follow-ups"),
        on_refusal=lambda status: _render_follow_up(follow_up_id, status, back_to, **{form_name: form}),
    )


@bp.route("/follow-ups/<int:follow_up_id>/done", methods=["POST"])
@roles_required(*FOLLOW_UP_WORKERS)
def mark_follow_up_done(follow_up_id: int):
    form = DoneForm()
    return _change(
        follow_up_id,
        "done_form",
        form,
        lambda: operations.mark_done(follow_up_id, form.result.data, form.done_on.data, current_user.id),
        _("%(label)s is done; its result is recorded."),
    )


@bp.route("/follow-ups/<int:follow_up_id>/reschedule", methods=["POST"])
@roles_required(*FOLLOW_UP_WORKERS)
def reschedule_follow_up(follow_up_id: int):
    form = RescheduleForm()
    return _change(
        follow_up_id,
        "reschedule_form",
        form,
        lambda: operations.reschedule(follow_up_id, form.due_on.data, current_user.id, form.reason.data),
        _("%(label)s is moved."),
    )


@bp.route("/follow-ups/<int:follow_up_id>/cancel", methods=["POST"])
@roles_required(*FOLLOW_UP_WORKERS)
def cancel_follow_up(follow_up_id: int):
    form = CancelForm()
    return _change(
        follow_up_id,
        "cancel_form",
        form,
        lambda: operations.cancel(follow_up_id, form.reason.data, current_user.id),
        _("%(label)s is cancelled."),
    )


@bp.route("/cases/<int:case_id>/follow-ups", methods=["POST"])
@roles_required(*FOLLOW_UP_WORKERS)
def add_follow_up(case_id: int):
    """A follow-up added by hand on the case page; on refusal, the case page again with the reason."""
    form = AddFollowUpForm()
    if not form.validate():
        return refuse_form(case_id, form, add_follow_up_form=form)
    return change_case(
        case_id,
        lambda: operations.add_follow_up(case_id, form.due_on.data, form.label.data, current_user.id),
        lambda follow_up: _(
            "%(label)s is added, due %(day)s.", label=follow_up.label, day=follow_up.due_on.isoformat()
        ),
        anchor="follow-ups",
        add_follow_up_form=form,
    )
