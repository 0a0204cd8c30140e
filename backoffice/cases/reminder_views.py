"""A case's reminders: add one's own, mark one done. The rules are in cases.reminders."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import roles_required
from backoffice.cases import bp, reminders
from backoffice.cases.case_page import CASE_WORKERS, change_case, refuse_form, render_case_page
from backoffice.cases.forms import ReminderDoneForm, ReminderForm
from backoffice.transactions import commit_change


@bp.route("/<int:case_id>/reminders", methods=["POST"])
@roles_required(*CASE_WORKERS)
def add_reminder(case_id: int):
    form = ReminderForm()
    if not form.validate():
        return refuse_form(case_id, form, reminder_form=form)
    return change_case(
        case_id,
        lambda: reminders.add_reminder(
            case_id,
            due_on=form.due_on.data,
            due_time=form.due_time.data,
            text=form.text.data,
            actor_id=current_user.id,
        ),
        _("Reminder saved."),
        reminder_form=form,
    )


@bp.route("/<int:case_id>/reminders/<int:reminder_id>/done", methods=["POST"])
@roles_required(*CASE_WORKERS)
def complete_reminder(case_id: int, reminder_id: int):
    form = ReminderDoneForm()
    if not form.validate():
        return refuse_form(case_id, form)
    return commit_change(
        lambda: reminders.complete_reminder(case_id, reminder_id, actor_id=current_user.id),
        success=lambda reminder: _("Reminder done: %(text)s", text=reminder.text),
        target=url_for("cases.show_case", case_id=case_id, _anchor="reminders"),
        on_refusal=lambda status: render_case_page(case_id, status),
    )
