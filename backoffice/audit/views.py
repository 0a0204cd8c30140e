from flask import render_template, request

from backoffice.audit import bp, operations
from backoffice.auth.permissions import ADMIN, roles_required
from backoffice.params import page_number, positive_int


@bp.route("/")
@roles_required(ADMIN)
def list_events():
    filters = {
        "action": request.args.get("action", "")[:64] or None,
        "actor_id": positive_int(request.args.get("actor")),
        "object_type": request.args.get("object_type", "")[:64] or None,
    }
    page = operations.list_events(page=page_number(request.args.get("page")), **filters)
    return render_template("audit/list.html", page=page, filters=filters, actions=operations.known_actions())
