"""The administrators' page of automatic messages: every kind the product sends by itself, on or off, who switched it.

Rules in `kinds`; a kind switched off is not queued at all, and the page says what that leaves unsent.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.auth.permissions import ADMINISTRATORS, roles_required
from backoffice.extensions import db
from backoffice.messages import bp, kinds
from backoffice.transactions import commit_change


def _render(status: int = 200):
    rows = kinds.switches()
    changer_ids = {row.changed_by_id for _kind, row in rows if row is not None and row.changed_by_id}
    changers = (
        {user.id: user.name for user in db.session.scalars(select(User).where(User.id.in_(changer_ids)))}
        if changer_ids
        else {}
    )
    return render_template("messages/kinds.html", rows=rows, changers=changers), status


@bp.route("/automatic-messages")
@roles_required(*ADMINISTRATORS)
def list_automatic_kinds():
    return _render()


@bp.route("/automatic-messages", methods=["POST"])
@roles_required(*ADMINISTRATORS)
def switch_automatic_kind():
    """Turn one kind on or off (form fields `kind`, and `enabled` "1" or "0")."""
    kind = request.form.get("kind", "")
    enabled = request.form.get("enabled") == "1"

    def said(row) -> str:
        kind = kinds.KINDS[row.kind]
        if row.enabled:
            return _(
                "“%(kind)s” is on again: it is sent from now on (nothing held back while it was off is sent).",
                kind=_(kind.label),
            )
        return _(
            "“%(kind)s” is off: it is not sent to %(recipient)s until it is turned on again.",
            kind=_(kind.label),
            recipient=_(kind.recipient),
        )

    return commit_change(
        lambda: kinds.switch_kind(kind, enabled=enabled, actor_id=current_user.id),
        success=said,
        target=url_for("messages.list_automatic_kinds"),
        on_refusal=lambda status: _render(status),
    )
