import pytest

from backoffice import create_app
from backoffice.config import ConfigurationError, load_settings

PG_URL = "postgresql://app@db.internal/backoffice"
SMTP_URL = "smtp://app:secret@mail.internal:587"


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
def test_production_refuses_to_start_with_unsafe_settings(monkeypatch, overrides, message):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    overrides = {
        "APP_ENV": "production",
        "DATABASE_URL": PG_URL,
        "SMTP_URL": SMTP_URL,
        "PUBLIC_URL": "https://office.example",
        **overrides,
    }
    with pytest.raises(ConfigurationError, match=message):
        create_app(overrides)


def test_production_starts_with_a_real_secret_and_takes_plain_postgres_urls(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", PG_URL)
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("SMTP_URL", SMTP_URL)
    monkeypatch.setenv("PUBLIC_URL", "https://office.example")
    app = create_app({"APP_ENV": "production"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert not app.debug


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
