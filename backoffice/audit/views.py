from flask import abort, render_template, request

from backoffice import trail
from backoffice.audit import bp, operations
from backoffice.auth.permissions import ADMIN, roles_required
from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.params import page_number, positive_int


@bp.route("/")
@roles_required(ADMIN)
def list_events():
    filters = {
        "action": request.args.get("action", "")[:64] or None,
        "actor_id": positive_int(request.args.get("actor")),
        "object_type": request.args.get("object_type", "")[:64] or None,
    }
    page = trail.list_events(page=page_number(request.args.get("page")), **filters)
    return render_template("audit/list.html", page=page, filters=filters, actions=operations.known_actions())


@bp.route("/cases/<int:case_id>")
@roles_required(ADMIN)
def case_access_history(case_id: int):
    """Who read the case's health data, who was refused, and what was changed: three statements a page."""
    number = db.session.scalar(db.select(Case.number).where(Case.id == case_id))
    if number is None:
        abort(404)
    kind = request.args.get("kind")
    kind = kind if kind in operations.HISTORY_KINDS else None
    page = operations.case_access_history(case_id, page=page_number(request.args.get("page")), kind=kind)
    return render_template(
        "audit/case_history.html", page=page, case_id=case_id, number=number, kind=kind, kinds=operations.HISTORY_KINDS
    )
