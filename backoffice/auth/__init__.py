"""Signing in and out, sessions, login throttling and who may see what."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from backoffice.auth import views  # noqa: E402,F401
