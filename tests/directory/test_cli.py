import pytest
from sqlalchemy import func, select

from backoffice.directory.cli import hospitals_cli
from backoffice.directory.models import Hospital
from backoffice.extensions import db
from tests.factories import make_hospital


@pytest.fixture
def runner(app):
    # The lead registers the group in backoffice/cli.py; until then the tests add it themselves.
    if "hospitals" not in app.cli.commands:
        app.cli.add_command(hospitals_cli)
    return app.test_cli_runner()


def hospitals():
    return db.session.scalar(select(func.count()).select_from(Hospital))


def test_hospitals_add_creates_a_hospital(runner):
    result = runner.invoke(
        args=[
            "hospitals",
            "add",
            "fra-abm",
            "Asklepios Bad Homburg",
            "--city",
            "Bad Homburg",
            "--country",
            "de",
            "--languages",
            "de,en",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Added FRA-ABM Asklepios Bad Homburg" in result.output
    hospital = db.session.scalar(select(Hospital))
    assert (hospital.code, hospital.country, hospital.languages, hospital.timezone) == (
        "FRA-ABM",
        "DE",
        ["de", "en"],
        "Europe/Berlin",
    )


def test_hospitals_add_takes_a_timezone(runner):
    args = ["hospitals", "add", "SEL-SNU", "Seoul National University Hospital", "--city", "Seoul", "--country", "KR"]
    result = runner.invoke(args=[*args, "--timezone", "Asia/Seoul"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Hospital.timezone)) == "Asia/Seoul"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["BAD CODE", "Name", "--city", "X", "--country", "DE"], "not a hospital code"),
        (["OK-1", "Name", "--city", "X", "--country", "XX"], "not a two-letter country code"),
        (["OK-1", "Name", "--city", "X", "--country", "DE", "--languages", "de,xx"], "not a two-letter language"),
        (["OK-1", "Name", "--city", "X", "--country", "DE", "--timezone", "Berlin"], "not an IANA time zone"),
        (["OK-1", "  ", "--city", "X", "--country", "DE"], "Enter the hospital name"),
        (["OK-1", "Name", "--country", "DE"], "Missing option '--city'"),
    ],
)
def test_hospitals_add_refuses_bad_input_with_exit_code_2(runner, args, message):
    result = runner.invoke(args=["hospitals", "add", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert hospitals() == 0


def test_hospitals_add_refuses_a_code_in_use(runner):
    make_hospital("FRA-ABM", name="Asklepios")
    db.session.commit()
    result = runner.invoke(args=["hospitals", "add", "FRA-ABM", "Other", "--city", "X", "--country", "DE"])
    assert result.exit_code == 2 and "Error: The code FRA-ABM is already used by Asklepios" in result.output
    assert hospitals() == 1


def test_hospitals_list_shows_every_hospital(runner):
    assert "No hospitals yet." in runner.invoke(args=["hospitals", "list"]).output
    make_hospital("FRA-ABM", name="Asklepios Bad Homburg", city="Bad Homburg")
    make_hospital("IST-ACB", name="Acibadem Maslak", city="Istanbul", country="TR", active=False)
    db.session.commit()
    result = runner.invoke(args=["hospitals", "list"])
    assert result.exit_code == 0
    assert "FRA-ABM" in result.output and "Bad Homburg, Germany" in result.output
    assert "IST-ACB" in result.output and "deactivated" in result.output and "Istanbul, Türkiye" in result.output
