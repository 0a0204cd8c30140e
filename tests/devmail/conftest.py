"""A real mail catcher for the development mail pages."""

from __future__ import annotations

import pytest

from backoffice.mail_catcher import Catcher
from tests.helpers import change_settings


@pytest.fixture
def catcher(tmp_path, app, monkeypatch):
    """A real catcher on a free port, and the app in the development profile reading what it catches."""
    running = Catcher(tmp_path / "caught-mail", port=0)
    change_settings(monkeypatch, app, app_env="development", caught_mail_dir=running.directory)
    yield running
    running.stop()
