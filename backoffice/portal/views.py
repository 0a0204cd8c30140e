from flask import render_template

from backoffice.auth.permissions import patient_required
from backoffice.portal import bp


@bp.route("/")
@patient_required
def index():
    return render_template("portal/index.html")
