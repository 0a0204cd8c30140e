"""The back office of a medical-tourism operator: `create_app` builds the Flask app."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backoffice.config import PROJECT_ROOT, instance_path, load_settings, settings
from backoffice.languages import layout_context, remember_picked_language, select_locale


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app with the settings of the environment, then `config` (tests: `{"APP_ENV": "test", ...}`)."""
    loaded = load_settings(config)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(instance_path()),
    )
    app.extensions["settings"] = loaded  # read as settings() (backoffice/config.py)
    app.config.from_mapping(loaded.flask_config())
    register_routing(app)
    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_errors(app)
    register_templates(app)
    register_cli(app)
    return app


def register_routing(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix
    from werkzeug.routing import IntegerConverter

    class RecordIdConverter(IntegerConverter):
        """Ids in URLs: a number no id column can hold (INTEGER, int4 on PostgreSQL) is not found (404), not a 500."""

        def __init__(self, url_map, *args, **kwargs):
            kwargs.setdefault("max", 2**31 - 1)
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = RecordIdConverter
    # Behind a reverse proxy the client's address is in X-Forwarded-For; trust exactly the configured proxies, so
    # that login throttling, the intake limit and the audit log see the real address.
    proxies = settings(app).trusted_proxies
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    import backoffice.models  # noqa: F401 - every table known to the metadata before anything uses it
    from backoffice.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(remember_picked_language)


def register_blueprints(app: Flask) -> None:
    from backoffice import (
        accounting,
        audit,
        auth,
        billing,
        cases,
        dashboard,
        devmail,
        directory,
        health,
        intake,
        invoicing,
        jobs,
        logistics,
        messages,
        notifications,
        offers,
        portal,
        receivables,
        retention,
        rights,
        shipments,
        suppliers,
        users,
    )

    features = (
        auth,
        dashboard,
        cases,
        logistics,
        billing,
        suppliers,
        offers,
        invoicing,
        receivables,
        accounting,
        shipments,
        directory,
        intake,
        users,
        rights,
        retention,
        audit,
    )
    for feature in (*features, messages, notifications, jobs, portal, health, devmail):
        app.register_blueprint(feature.bp)
    app.register_blueprint(portal.invites_bp)  # the invitation pages, outside /portal


def register_security(app: Flask) -> None:
    from backoffice.auth.permissions import enforce_access
    from backoffice.auth.reads import record_access
    from backoffice.auth.sessions import register_sessions
    from backoffice.security import add_security_headers, refuse_nul_bytes

    app.before_request(refuse_nul_bytes)
    register_sessions(app)  # idle timeout first: an expired session is signed out before access is checked
    app.before_request(enforce_access)
    app.after_request(add_security_headers)
    # After-request hooks run last-registered first: the read or refusal is logged before the headers are added, so
    # an answer replaced because its read could not be logged still gets them.
    app.after_request(record_access)


def register_errors(app: Flask) -> None:
    from backoffice.errors import register_error_handlers

    register_error_handlers(app)


def register_templates(app: Flask) -> None:
    from backoffice.forms import ConfirmForm
    from backoffice.templating import register_filters

    register_filters(app)

    @app.context_processor
    def inject_layout_helpers() -> dict[str, Any]:
        # formdata=None: never re-read the request here (it may be the oversized upload an error page answers).
        # Documents rendered outside a request (PDFs issued by a command or a job) have no layout and no form.
        if not has_request_context():
            return {}
        return {"logout_form": ConfirmForm(formdata=None), **layout_context()}


def register_cli(app: Flask) -> None:
    from backoffice.cli import register_cli as register

    register(app)


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Writers queue for SQLite's one write lock; an invoice issue holds it while its PDF renders, which on a
        # loaded machine can take longer than pysqlite's default 5 s wait.
        cursor.execute("PRAGMA busy_timeout=30000")
        # Write-ahead log: the web app, the dispatcher and the workers read while one writes, and a commit is one
        # append (NORMAL: durable when a process is killed; a power cut may lose the last commits, not consistency).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
