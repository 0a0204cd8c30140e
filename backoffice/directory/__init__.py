"""The directory: hospitals, physicians, treatment programmes, and destinations paused for intake."""

from flask import Blueprint

bp = Blueprint("directory", __name__, url_prefix="/directory")

from backoffice.directory import views  # noqa: E402,F401
