"""Functions enqueued by the job tests; the worker imports them by name, as it will the product's jobs."""

from flask import current_app
from sqlalchemy import func, select

from backoffice.auth.models import User
from backoffice.extensions import db


def count_users_in_app() -> dict:
    """Proves the job ran inside the app, with a database session of its own."""
    return {"users": db.session.scalar(select(func.count()).select_from(User)), "app": current_app.name}
