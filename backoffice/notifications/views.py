"""The notification centre: my notifications, opening one (which marks it read), marking read, my digest choice.

Staff only; a notification of someone else is not found. The rules are in `centre`.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from backoffice.auth.forms import ChangePasswordForm
from backoffice.auth.permissions import staff_required
from backoffice.extensions import db
from backoffice.forms import ConfirmForm
from backoffice.notifications import bp, centre
from backoffice.params import page_number
from backoffice.transactions import commit_change


@bp.app_template_global()
def unread_notifications() -> int:
    """The signed-in staff member's unread count for the menu: one statement per page, however often it is asked."""
    if not (current_user.is_authenticated and current_user.is_staff):
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = centre.unread_count(current_user.id)
    return g.unread_notifications


bp.add_app_template_global(lambda: centre.DIGESTS, "digest_choices")


@bp.route("/")
@staff_required
def list_notifications():
    return _list_page()


def _list_page(status: int = 200):
    page = centre.my_notifications(current_user.id, page=page_number(request.args.get("page")))
    return render_template(
        "notifications/list.html",
        page=page,
        form=ConfirmForm(formdata=None),
    ), status


@bp.route("/<int:notification_id>")
@staff_required
def open_notification(notification_id: int):
    """Follow a notification to its case or page; opening it marks it read."""
    notification = centre.mark_read(notification_id, current_user.id)
    link = centre.safe_link(notification)
    target = request.script_root + link if link else url_for("notifications.list_notifications")
    db.session.commit()
    return redirect(target)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@staff_required
def mark_notification_read(notification_id: int):
    centre.own_notification(notification_id, current_user.id)  # someone else's: not found, before anything else
    return _confirmed(lambda: centre.mark_read(notification_id, current_user.id), _("Marked read."))


@bp.route("/read", methods=["POST"])
@staff_required
def mark_all_notifications_read():
    return _confirmed(
        lambda: centre.mark_all_read(current_user.id),
        lambda count: ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", count),
    )


@bp.route("/digest", methods=["POST"])
@staff_required
def change_digest():
    """My choice on the account page: my notifications by email once a day, or not."""
    if not ConfirmForm().validate():
        flash(_("The form had expired. Choose again."), "error")
        return _account_page(400)
    return commit_change(
        lambda: centre.change_digest(current_user.id, request.form.get("digest")),
        success=lambda user: _("Email digest of your notifications: %(digest)s.", digest=_(user.notification_digest)),
        target=url_for("auth.change_password", _anchor="digest"),
        on_refusal=_account_page,
    )


def _account_page(status: int):
    """The account page again, with the refusal's message (the digest choice lives there, beside the password)."""
    context = {"form": ChangePasswordForm(formdata=None), "forced": current_user.must_change_password}
    return render_template("auth/change_password.html", **context), status


def _confirmed(change, success):
    if not ConfirmForm().validate():
        flash(_("The form had expired. Try again."), "error")
        return _list_page(400)
    back = url_for("notifications.list_notifications", page=request.args.get("page") or None)
    return commit_change(change, success=success, target=back, on_refusal=_list_page)
