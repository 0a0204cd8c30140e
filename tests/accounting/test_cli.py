"""`flask accounting datev-export`: a period exported from the command line is recorded as one from the page; a bad
period or nothing new exits 2 with a message."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from backoffice.accounting.models import DatevExport
from backoffice.extensions import db
from tests.accounting.factories import november


def test_a_period_exported_from_the_command_line_is_recorded_and_written_out(app, monkeypatch, tmp_path):
    november(monkeypatch)
    out = tmp_path / "november.csv"
    runner = app.test_cli_runner()
    args = ["accounting", "datev-export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    export = db.session.scalar(select(DatevExport))
    assert hashlib.sha256(out.read_bytes()).hexdigest() == export.sha256
    assert "5 bookings exported, 0 left out" in result.output
    again = runner.invoke(args=args)
    assert again.exit_code == 2 and "Nothing new to export" in again.output


def test_a_bad_period_on_the_command_line_exits_2_and_stores_nothing(app):
    result = app.test_cli_runner().invoke(
        args=["accounting", "datev-export", "--from", "2026-11-30", "--to", "2026-11-01"]
    )
    assert result.exit_code == 2 and "The period ends before it starts." in result.output
    assert db.session.scalar(select(func.count()).select_from(DatevExport)) == 0
