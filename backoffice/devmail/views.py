"""The caught messages, newest first, and one of them: headers, text, the HTML as source or in a sandbox, files.

An HTML body is never part of our page: it is shown as escaped source, and in a frame whose answer carries a CSP that
runs no script and loads nothing (no remote image can tell a sender the mail was opened).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backoffice import mailer
from backoffice.auth.permissions import ADMIN, roles_required
from backoffice.config import settings
from backoffice.devmail import bp
from backoffice.downloads import download
from backoffice.forms import ConfirmForm
from backoffice.mail_catcher import (
    MailCatcherError,
    caught_attachment,
    caught_html,
    list_caught,
    read_caught,
    reply_to_caught,
)
from backoffice.params import page_number

PER_PAGE = 50


@bp.route("/")
@roles_required(ADMIN)
def list_mail():
    page = list_caught(settings().caught_mail_dir, page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template("devmail/list.html", page=page, folder=settings().caught_mail_dir)


@bp.route("/<name>")
@roles_required(ADMIN)
def show_mail(name: str):
    try:
        mail = read_caught(settings().caught_mail_dir, name)
    except MailCatcherError:
        abort(404)
    return render_template("devmail/show.html", mail=mail, reply_form=ConfirmForm(formdata=None))


@bp.route("/<name>/html")
@roles_required(ADMIN)
def mail_html(name: str):
    """The HTML body for the sandboxed frame of the message page: no script runs, nothing is fetched."""
    try:
        html = caught_html(settings().caught_mail_dir, name)
    except MailCatcherError:
        abort(404)
    if html is None:
        abort(404)
    return download(html, mimetype="text/html", filename=f"{name}.html", inline=True)


@bp.route("/<name>/attachments/<int:index>")
@roles_required(ADMIN)
def mail_attachment(name: str, index: int):
    try:
        body, mimetype, filename = caught_attachment(settings().caught_mail_dir, name, index)
    except MailCatcherError:
        abort(404)
    return download(body, mimetype=mimetype, filename=filename)


REPLY_TEXT = (
    "Thank you for your message. This reply was sent from the development mail page, as the recipient would answer;"
    " the fetch job files it on the case within a minute.\n"
)


@bp.route("/<name>/reply", methods=["POST"])
@roles_required(ADMIN)
def reply_to_mail(name: str):
    """Send the reply the recipient would write (In-Reply-To the caught message, to its Reply-To) through SMTP: it
    comes back through the catcher into the local mailbox, and the fetch job puts it on the case."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        reply = reply_to_caught(settings().caught_mail_dir, name, REPLY_TEXT)
    except MailCatcherError:
        abort(404)
    try:
        mailer.send_message(reply, settings().smtp_url)
    except mailer.MailError as error:
        flash(_("The reply could not be sent: %(error)s", error=error), "error")
        return redirect(url_for("devmail.show_mail", name=name))
    flash(
        _(
            "A reply from %(sender)s to %(recipient)s was sent; the fetch job files it within a minute.",
            sender=reply["From"],
            recipient=reply["To"],
        ),
        "success",
    )
    return redirect(url_for("devmail.list_mail"))
