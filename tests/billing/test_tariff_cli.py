"""`flask tariffs import HOSPITAL_CODE FILE.csv`: all-or-nothing, every problem on stderr, exit status 2."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice.billing.models import TariffImport, TariffItem
from backoffice.billing.tariffs.cli import tariffs_cli
from backoffice.billing.tariffs.csv_file import HEADER
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import make_hospital

SAMPLE = Path(__file__).parent / "samples" / "tariffs.csv"


@pytest.fixture
def runner(app):
    # The lead registers the group in backoffice/cli.py; until then the tests add it themselves.
    if "tariffs" not in app.cli.commands:
        app.cli.add_command(tariffs_cli)
    return app.test_cli_runner()


@pytest.fixture
def hospital():
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    db.session.commit()
    return hospital


def stored() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(TariffImport)),
        db.session.scalar(select(func.count()).select_from(TariffItem)),
    )


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "tariff.csv"
    path.write_text("\n".join([header, *rows]))
    return path


def test_the_sample_tariff_imports_from_the_command_line(runner, hospital):
    result = runner.invoke(args=["tariffs", "import", "fra-abm", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Imported 340 items for FRA-ABM")
    assert stored() == (1, 340)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tariff_imported"))
    assert (event.actor_id, event.details["items"], event.details["filename"]) == (None, 340, "tariffs.csv")


def test_a_bad_file_lists_every_problem_on_stderr_and_exits_2(runner, hospital, tmp_path):
    path = write(
        tmp_path,
        "T00002,Pump check,2266.27,EUR,2025-01-01,2025-12-31",
        'T00003,ECG,"12,50",EUR,2026-13-45,',
        "T00002,Pump check,2356.92,EUR,2025-06-01,",
    )
    result = runner.invoke(args=["tariffs", "import", "FRA-ABM", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: Nothing was imported from “tariff.csv” for FRA-ABM: 3 problems")
    assert "row 3, resident_price: '12,50' has a comma" in result.stderr
    assert "row 3, valid_from: '2026-13-45' is not a date" in result.stderr
    assert "rows 2 and 4: versions of T00002 overlap (2025-01-01..2025-12-31 and 2025-06-01..open)" in result.stderr
    assert stored() == (0, 0)


def test_an_empty_file_exits_2(runner, hospital, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = runner.invoke(args=["tariffs", "import", "FRA-ABM", str(path)])
    assert result.exit_code == 2 and "The file is empty" in result.stderr
    assert stored() == (0, 0)


def test_a_wrong_header_exits_2(runner, hospital, tmp_path):
    path = write(tmp_path, "T1,ECG,1,EUR,2025-01-01,", header="code,description,price,currency,valid_from,valid_to")
    result = runner.invoke(args=["tariffs", "import", "FRA-ABM", str(path)])
    assert result.exit_code == 2 and "row 1: the header must be" in result.stderr
    assert stored() == (0, 0)


def test_a_50_mb_file_exits_2_without_being_read_whole(runner, hospital, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode() + b"\n")
        handle.truncate(50 * 1024 * 1024)
    result = runner.invoke(args=["tariffs", "import", "FRA-ABM", str(path)])
    assert result.exit_code == 2 and "a tariff file may have at most 20 MB" in result.stderr
    assert stored() == (0, 0)


def test_an_unknown_hospital_exits_2(runner, tmp_path):
    result = runner.invoke(args=["tariffs", "import", "NOPE-1", str(SAMPLE)])
    assert result.exit_code == 2
    assert "Error: There is no hospital with the code NOPE-1." in result.stderr
    assert stored() == (0, 0)


def test_a_missing_file_exits_2(runner, hospital, tmp_path):
    result = runner.invoke(args=["tariffs", "import", "FRA-ABM", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert stored() == (0, 0)


def test_a_second_import_from_the_command_line_becomes_current(runner, hospital, tmp_path):
    assert runner.invoke(args=["tariffs", "import", "FRA-ABM", str(SAMPLE)]).exit_code == 0
    path = write(tmp_path, "T1,ECG,10,EUR,2026-01-01,")
    result = runner.invoke(args=["tariffs", "import", "FRA-ABM", str(path)])
    assert result.exit_code == 0 and "Imported 1 item for FRA-ABM from tariff.csv." in result.stdout
    assert stored() == (2, 341)
