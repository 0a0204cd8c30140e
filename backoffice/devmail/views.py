"""The caught messages, newest first, and one of them: headers, text, the HTML as source or in a sandbox, files.

An HTML body is never part of our page: it is shown as escaped source, and in a frame whose answer carries a CSP that
runs no script and loads nothing (no remote image can tell a sender the mail was opened).
"""

from __future__ import annotations

from flask import abort, render_template, request

from backoffice.auth.permissions import ADMIN, roles_required
from backoffice.config import settings
from backoffice.devmail import bp
from backoffice.downloads import download
from backoffice.mail_catcher import MailCatcherError, caught_attachment, caught_html, list_caught, read_caught
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
    return render_template("devmail/show.html", mail=mail)


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
