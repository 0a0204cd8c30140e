"""Entry point for gunicorn (`gunicorn wsgi:app`) and the `flask --app wsgi` commands."""

from backoffice import create_app

app = create_app()
