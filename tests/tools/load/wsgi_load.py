"""The app as production serves it, plus one bare Flask route for the load test's baseline.

gunicorn loads `tests.tools.load.wsgi_load:make_app()`. `/_load/bare` is a separate, empty Flask app mounted beside the
product in the same gunicorn workers: it answers "ok" without a session, a database or a template, so its latency is
the floor that gunicorn, WSGI and Flask set on this machine in the same run. Nothing here changes the product.
"""

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

BARE_PREFIX = "/_load"

bare = Flask("bare")


@bare.route("/bare")
def bare_route() -> str:
    return "ok"


def with_bare_route(app):
    """The app's WSGI callable with the bare route mounted under /_load."""
    return DispatcherMiddleware(app, {BARE_PREFIX: bare})


def make_app():
    from backoffice import create_app

    return with_bare_route(create_app())
