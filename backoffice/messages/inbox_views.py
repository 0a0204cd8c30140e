"""The unmatched list (`/messages/unmatched`): received mail that matched no case, for those who read health data.

Mail from patients, hospitals and physicians carries health data, so the list is for HEALTH_DATA_READERS (today the
same people as the care coordinators, but the reason is what the mail holds, not who arranges care), and each page
records the read. A mail's text is shown as text; its (sanitised) HTML only in a sandboxed frame whose answer forbids
every script and every load, as the development mail page does. Staff assign a mail to a case by its number, or
discard it with a reason; the discarded ones have their own view (`?show=discarded`), from which a mail can be put
back on the list. Opening a mail marks it read.
"""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from backoffice.auth.permissions import HEALTH_DATA_READERS, may_see_health_data, roles_required
from backoffice.auth.reads import reads_health_data
from backoffice.downloads import download
from backoffice.errors import NotFound
from backoffice.forms import ConfirmForm, FlaskForm, form_errors
from backoffice.messages import bp, unmatched
from backoffice.messages.attachments import read_kept
from backoffice.messages.models import Message
from backoffice.params import page_number
from backoffice.transactions import commit_answer, commit_change

PER_PAGE = 50


class AssignMailForm(FlaskForm):
    case_number = StringField(
        _l("Case number"),
        validators=[DataRequired(message=_l("Enter the number of the case this mail belongs to.")), Length(max=40)],
        render_kw={"placeholder": _l("e.g. %(number)s", number="C-2026-00042"), "maxlength": 40},
    )


class DiscardMailForm(FlaskForm):
    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why the mail is discarded.")),
            Length(
                max=unmatched.MAX_REASON,
                message=_l("Keep the reason under %(max)s characters.", max=unmatched.MAX_REASON),
            ),
        ],
        render_kw={"placeholder": _l("e.g. advertising"), "maxlength": unmatched.MAX_REASON},
    )


@bp.app_context_processor
def unmatched_menu() -> dict:
    def unmatched_mail_count() -> int:
        return unmatched.count_unmatched() if may_see_health_data() else 0

    return {"unmatched_mail_count": unmatched_mail_count}


@bp.route("/messages/unmatched")
@roles_required(*HEALTH_DATA_READERS)
@reads_health_data()
def list_unmatched_mail():
    """The mail waiting for a case; `?show=discarded`: the mail staff discarded, with who, when and why."""
    discarded = request.args.get("show") == "discarded"
    listing = unmatched.list_discarded if discarded else unmatched.list_unmatched
    page = listing(page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template("messages/unmatched.html", page=page, discarded=discarded)


def _page(message_id: int, status: int = 200, *, assign_form=None, discard_form=None, message=None):
    page = render_template(
        "messages/unmatched_mail.html",
        message=message or unmatched.get_unmatched(message_id, discarded_too=True),
        assign_form=assign_form or AssignMailForm(formdata=None),
        discard_form=discard_form or DiscardMailForm(formdata=None),
        restore_form=ConfirmForm(formdata=None),
    )
    return page, status


@bp.route("/messages/unmatched/<int:message_id>")
@roles_required(*HEALTH_DATA_READERS)
@reads_health_data(record=Message, record_arg="message_id")
def show_unmatched_mail(message_id: int):
    """One waiting (or discarded) mail; opening it marks it read."""
    return commit_answer(
        lambda: unmatched.open_unmatched(message_id),
        answer=lambda message: _page(message_id, message=message),
        on_refusal=lambda error: _page(message_id, error.status_code),
        passes=(NotFound,),
    )


@bp.route("/messages/unmatched/<int:message_id>/html")
@roles_required(*HEALTH_DATA_READERS)
@reads_health_data(record=Message, record_arg="message_id")
def unmatched_mail_html(message_id: int):
    """The sanitised HTML for the sandboxed frame of the mail's page: no script runs, nothing is fetched."""
    message = unmatched.get_unmatched(message_id, discarded_too=True)
    if message.body_html is None:
        raise NotFound(_("This mail has no HTML part."))
    return download(message.body_html, mimetype="text/html", filename=f"mail-{message.id}.html", inline=True)


@bp.route("/messages/unmatched/<int:message_id>/files/<int:attachment_id>")
@roles_required(*HEALTH_DATA_READERS)
@reads_health_data(record=Message, record_arg="message_id")
def unmatched_mail_file(message_id: int, attachment_id: int):
    file = unmatched.waiting_file(message_id, attachment_id)
    return download(read_kept(file), mimetype=file.content_type, filename=file.filename)


@bp.route("/messages/unmatched/<int:message_id>/assign", methods=["POST"])
@roles_required(*HEALTH_DATA_READERS)
def assign_unmatched_mail(message_id: int):
    form = AssignMailForm()
    if not form.validate_on_submit():
        return _refused(message_id, form, assign_form=form)
    return commit_change(
        lambda: unmatched.assign_to_case(message_id, form.case_number.data, current_user.id),
        success=lambda message: _("The mail is now on case %(number)s.", number=form.case_number.data.strip().upper()),
        target=lambda message: url_for("cases.show_case", case_id=message.case_id),
        on_refusal=lambda status: _page(message_id, status, assign_form=form),
    )


@bp.route("/messages/unmatched/<int:message_id>/discard", methods=["POST"])
@roles_required(*HEALTH_DATA_READERS)
def discard_unmatched_mail(message_id: int):
    form = DiscardMailForm()
    if not form.validate_on_submit():
        return _refused(message_id, form, discard_form=form)
    return commit_change(
        lambda: unmatched.discard(message_id, form.reason.data, current_user.id),
        success=_("The mail was discarded; it stays on record."),
        target=url_for("messages.list_unmatched_mail"),
        on_refusal=lambda status: _page(message_id, status, discard_form=form),
    )


@bp.route("/messages/unmatched/<int:message_id>/restore", methods=["POST"])
@roles_required(*HEALTH_DATA_READERS)
def restore_unmatched_mail(message_id: int):
    """Put a discarded mail back on the list (it was discarded by mistake)."""
    if not ConfirmForm().validate():
        flash(_("The form had expired. Try again."), "error")
        return _page(message_id, 400)
    return commit_change(
        lambda: unmatched.restore(message_id, current_user.id),
        success=_("The mail is back on the unmatched list."),
        target=url_for("messages.show_unmatched_mail", message_id=message_id),
        on_refusal=lambda status: _page(message_id, status),
    )


def _refused(message_id: int, form, **forms):
    flash(next(iter(form_errors(form)), _("The form was incomplete.")), "error")
    return _page(message_id, 422, **forms)
