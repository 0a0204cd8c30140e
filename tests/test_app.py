import re

import pytest

from backoffice import create_app
from backoffice.config import ConfigurationError, load_settings, settings
from tests.helpers import PRODUCTION


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "k" * 40, "DEBUG": True}, "debug"),
        ({"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite:///x.db"}, "DATABASE_URL"),
        ({"SECRET_KEY": "k" * 40, "SMTP_URL": ""}, "SMTP_URL"),
        ({"SECRET_KEY": "k" * 40, "PUBLIC_URL": ""}, "production needs PUBLIC_URL"),
        ({"SECRET_KEY": "k" * 40, "SMTP_URL": "http://mail.example"}, "SMTP_URL must start with smtp://"),
        ({"SECRET_KEY": "k" * 40, "MAIL_FROM": "nobody"}, "MAIL_FROM must be an address"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(overrides, message):
    with pytest.raises(ConfigurationError, match=message):
        create_app({**PRODUCTION, "SECRET_KEY": "", **overrides})


def production_environment(monkeypatch) -> None:
    """Production's settings as its machines get them: in the environment."""
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)


def test_production_starts_with_a_real_secret_and_takes_plain_postgres_urls(monkeypatch):
    production_environment(monkeypatch)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert not app.debug


def test_production_refuses_to_start_without_a_redis_every_machine_shares(monkeypatch):
    """Development's Redis is a socket in one machine's instance/: two web machines would each keep a queue of their
    own, so production has no default and says what to set."""
    production_environment(monkeypatch)
    monkeypatch.delenv("REDIS_URL")
    refusal = re.escape("production needs REDIS_URL (e.g. redis://redis.internal:6379/0): every web machine, worker")
    with pytest.raises(ConfigurationError, match=refusal):
        create_app()
    monkeypatch.setenv("REDIS_URL", "")  # an empty variable is not an address either
    with pytest.raises(ConfigurationError, match=refusal):
        create_app()
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    assert settings(create_app()).redis_url == "redis://redis.internal:6379/0"


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigurationError, match="APP_ENV"):
        load_settings({"APP_ENV": "staging-ish"})


def test_development_defaults_need_nothing_running(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    development = load_settings({"APP_ENV": "development"})
    assert development.database_url == f"sqlite:///{tmp_path / 'backoffice.db'}"
    assert development.redis_url == f"unix://{tmp_path / 'redis.sock'}?db=0"
    assert (
        len(development.secret_key) == 64
        and load_settings({"APP_ENV": "development"}).secret_key == development.secret_key
    )


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok", "storage": "ok"}


def test_healthz_names_the_failing_part(app_config, tmp_path):
    app = create_app(
        {**app_config, "REDIS_URL": f"unix://{tmp_path / 'nothing.sock'}", "HEALTH_REDIS_TIMEOUT_SECONDS": 0.5}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "failing", "database": "ok", "redis": "unreachable", "storage": "ok"}


def test_healthz_reports_an_unreachable_database(app_config, tmp_path):
    app = create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_error_pages_use_the_layout_and_show_no_traceback(app_config):
    app = create_app(app_config)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    boom.access = "public"
    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body and "secret internals" not in body and "Traceback" not in body


def test_nul_bytes_in_input_are_refused_with_a_400(client, users):
    assert client.get("/login?next=%00").status_code == 400
    assert client.post("/login", data={"email": "a\x00@test.example", "password": "x"}).status_code == 400
