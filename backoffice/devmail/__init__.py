"""The development mail page: what `make run`'s mail catcher caught, for administrators, in development only.

Outside the development profile every page here answers 404 (after the usual sign-in and role check), and the admin
menu shows no link to it: production mail goes to a real SMTP server and is read where it arrives.
"""

from flask import Blueprint, abort

from backoffice.config import settings

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")


def shows_caught_mail() -> bool:
    """Whether this app keeps a development mail page at all (the development profile)."""
    return settings().app_env == "development"


@bp.before_request
def development_only() -> None:
    if not shows_caught_mail():
        abort(404)


@bp.app_context_processor
def menu_link() -> dict:
    return {"shows_caught_mail": shows_caught_mail}


from backoffice.devmail import views  # noqa: E402,F401
