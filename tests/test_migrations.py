import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect

from backoffice.extensions import db


def script_directory():
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def test_migrations_have_a_single_head():
    assert len(script_directory().get_heads()) == 1


def test_revision_files_are_named_by_date_and_slug():
    for revision in script_directory().walk_revisions():
        name = revision.path.rsplit("/", 1)[-1]
        assert name[:8].isdigit() and name[8] == "_" and revision.revision in name, name


def test_the_migrated_schema_matches_the_models():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_every_migration_downgrades_and_upgrades_again():
    flask_migrate.downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    flask_migrate.upgrade()
    assert {"users", "audit_events", "login_attempts"} <= set(inspect(db.engine).get_table_names())


def test_migrations_downgrade_and_upgrade_with_data_in_the_tables(app):
    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    first = list(script_directory().walk_revisions())[-1].revision
    flask_migrate.downgrade(revision=first)
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_sqlite_connections_enforce_foreign_keys_after_migrating():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite connection setting")
    flask_migrate.upgrade()
    connections = [db.engine.connect() for _ in range(3)]
    try:
        assert [c.exec_driver_sql("PRAGMA foreign_keys").scalar() for c in connections] == [1, 1, 1]
    finally:
        for connection in connections:
            connection.close()


def test_sqlite_writes_ahead_so_workers_read_while_one_commits():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite connection setting")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
