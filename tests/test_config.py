"""The settings object: each setting stated once (backoffice/config.py), listed in README, read as settings().x."""

import dataclasses
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import get_type_hints

import pytest

from backoffice.config import PROJECT_ROOT, ConfigurationError, Settings, default_of, load_settings, settings
from tests.helpers import PRODUCTION

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite


def readme_rows() -> dict[str, list[str]]:
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("| ").split(" | ") for line in section.splitlines() if line.startswith("| `")]
    return {cells[0].strip("`"): [cell.strip() for cell in cells[1:]] for cells in rows}


def test_readme_lists_every_setting_once_with_its_variable_type_and_default():
    rows = readme_rows()
    fields = dataclasses.fields(Settings)
    assert sorted(rows) == sorted(item.name for item in fields)
    hints = get_type_hints(Settings)
    for item in fields:
        variable, kind, default, _meaning = rows[item.name]
        assert variable == (f"`{item.metadata['variable']}`" if item.metadata["variable"] else "(none: fixed)")
        hint = hints[item.name]
        assert kind.split(" (")[0] == (str(hint) if hasattr(hint, "__origin__") else hint.__name__), item.name
        if isinstance(item.metadata["default"], str | dict) and default_of(item.name) and "`" in default:
            assert f"`{default_of(item.name)}`" in default, item.name


def test_settings_come_from_the_environment_typed(monkeypatch):
    monkeypatch.setenv("VAT_RATE", "7")
    monkeypatch.setenv("INTAKE_WINDOW_MINUTES", "5")
    monkeypatch.setenv("JOB_RETRY_BACKOFF_SECONDS", "1,2")
    loaded = load_settings({"APP_ENV": "test", "CASE_DOCUMENTS_DIR": "/srv/records", "BILL_MAX_MB": "3"})
    assert loaded.vat_rate == Decimal("7") and loaded.intake_window == timedelta(minutes=5)
    assert loaded.job_retry_backoff_seconds == (1, 2)
    assert loaded.case_documents_dir == Path("/srv/records") and loaded.bill_max_mb == 3


def test_the_retry_backoff_default_is_stated_once_per_profile(monkeypatch):
    monkeypatch.delenv("JOB_RETRY_BACKOFF_SECONDS", raising=False)
    assert load_settings({"APP_ENV": "test"}).job_retry_backoff_seconds == (0,)
    assert load_settings({"APP_ENV": "development", "SECRET_KEY": "k"}).job_retry_backoff_seconds == (3, 10, 30)
    assert load_settings(PRODUCTION).job_retry_backoff_seconds == (30, 120, 600)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"VAT_RATE": "seven"}, "VAT_RATE must be a number"),
        ({"VAT_RATE": "100"}, "VAT_RATE is a percentage below 100"),
        ({"OPERATOR_IBAN": "DE00 0000"}, "OPERATOR_IBAN is not a valid IBAN"),
        ({"JOB_MAX_ATTEMPTS": 2.5}, "JOB_MAX_ATTEMPTS must be of type int"),
        ({"VAT_RATES": "7"}, "no such setting: VAT_RATES"),
        ({"IMAP_URL": "pop3://mail.internal"}, "IMAP_URL must start with imap:// or imaps://"),
        ({"SESSION_COOKIE_NAME": "mine"}, "Flask's own keys derive from the settings"),
        ({"PUBLIC_URL": "office.example"}, "PUBLIC_URL must be the app's address"),
        ({"DIGEST_HOUR": "24"}, "DIGEST_HOUR must be an hour from 0 to 23"),
    ],
)
def test_a_wrong_setting_is_refused_at_start(overrides, message):
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"APP_ENV": "test", **overrides})


def test_settings_are_frozen_and_a_change_is_checked_too(app):
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings(app).vat_rate = Decimal("7")  # type: ignore[misc]
    with pytest.raises(ConfigurationError, match="OPERATOR_TIMEZONE"):
        settings(app).replace(operator_timezone="Mars/Olympus_Mons")


def test_no_module_reads_a_setting_from_the_flask_config():
    """Flask's config holds only Flask's own keys; a setting read from it would be a KeyError at run time."""
    names = {item.name.upper() for item in dataclasses.fields(Settings)}
    read = re.compile(r"""config(?:\[|\.get\()\s*["']([A-Z][A-Z0-9_]*)["']""")
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {key}"
        for folder in ("backoffice", "templates", "tests")
        for path in sorted((PROJECT_ROOT / folder).rglob("*"))
        if path.suffix in (".py", ".html")
        for key in read.findall(path.read_text())
        if key in names
    ]
    assert found == []
