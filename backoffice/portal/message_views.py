"""The patient's secure thread with their coordinator: one per case, newest message last, and the form to write.

Every page here is the patient's own: another patient's case, or one that does not exist, is the same 404 (and the
refusal is in the audit trail, as every refused request of a signed-in user is).
"""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import patient_required
from backoffice.forms import form_errors
from backoffice.messages import portal_thread
from backoffice.portal import bp
from backoffice.portal.forms import PortalMessageForm
from backoffice.portal.own_cases import cases_of_user
from backoffice.transactions import commit_change


def _thread_page(case, cases, form: PortalMessageForm, status: int = 200):
    page = render_template(
        "portal/messages.html",
        case=case,
        cases=cases,
        entries=portal_thread.portal_thread(case.id) if case else [],
        form=form,
        max_text=portal_thread.MAX_TEXT,
    )
    return page, status


@bp.route("/messages")
@patient_required
def messages():
    """The thread of the patient's case; with several cases, the newest one's, and the others a click away."""
    cases = cases_of_user(current_user.id)
    return _thread_page(cases[0] if cases else None, cases, PortalMessageForm(formdata=None))


@bp.route("/messages/<int:case_id>", methods=["GET", "POST"])
@patient_required
def case_messages(case_id: int):
    """GET: the thread of one of the patient's cases. POST: the patient's message goes onto it."""
    case = portal_thread.case_of_account(case_id, current_user.id)  # NoSuchCase: the one 404 for all not theirs
    cases = cases_of_user(current_user.id)
    form = PortalMessageForm()
    if not form.is_submitted():
        return _thread_page(case, cases, PortalMessageForm(formdata=None))
    if not form.validate():
        flash(" ".join(form_errors(form)), "error")
        return _thread_page(case, cases, form, 422)
    return commit_change(
        lambda: portal_thread.write_as_patient(case.id, user_id=current_user.id, text=form.text.data),
        success=_("Your message is sent. Your coordinator answers here, and we tell you by mail when they do."),
        target=url_for("portal.case_messages", case_id=case.id, _anchor="newest"),
        on_refusal=lambda status: _thread_page(case, cases, form, status),
    )
