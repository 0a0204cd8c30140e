"""What patients see: their own records and nothing else. Everything of theirs lives under /portal.

Two pages sit outside /portal: staff invite a case's patient from the case (`/cases/<id>/portal-invite`) and the
patient opens the invitation link (`/invite/<token>`) before having a password; `invites_bp` carries them.
"""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")
invites_bp = Blueprint("portal_invites", __name__)

from backoffice.portal import (  # noqa: E402,F401
    account_views,
    case_page,
    document_views,
    message_views,
    offer_views,
    trip_views,
    views,
)
