"""Staff and patient accounts, managed by administrators."""

from flask import Blueprint

bp = Blueprint("users", __name__, url_prefix="/admin/users")

from backoffice.users import views  # noqa: E402,F401
