"""`make audit` goes red on a known vulnerability and never counts a package it could not check as clean."""

import pytest

from tests.tools import dependencies

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite


def _world(monkeypatch, report, project_json):
    monkeypatch.setattr(dependencies, "run_pip_audit", lambda: report)
    monkeypatch.setattr(dependencies, "latest_release_advisories", lambda name: project_json.get(name))
    monkeypatch.setattr(
        dependencies, "installed_versions", lambda: {d["name"]: d.get("version", "1.0") for d in report}
    )


def test_a_vulnerability_pip_audit_reports_fails_the_audit(monkeypatch):
    vuln = {"id": "PYSEC-2099-1", "fix_versions": ["2.0"]}
    _world(monkeypatch, [{"name": "oldlib", "version": "1.0", "vulns": [vuln]}], {})
    result = dependencies.audit_dependencies()
    assert result["vulnerable"] == ["oldlib 1.0: PYSEC-2099-1 (fixed in 2.0)"]


def test_where_pypi_serves_only_the_latest_release_its_advisories_are_used(monkeypatch):
    skipped = "Dependency not found on PyPI and could not be audited"
    report = [{"name": "fresh", "skip_reason": skipped}, {"name": "stale", "skip_reason": skipped}]
    report[0]["version"], report[1]["version"] = "3.0", "1.0"
    advisory = {"id": "GHSA-xxxx", "fixed_in": ["3.1"], "withdrawn": None}
    _world(monkeypatch, report, {"fresh": ("3.0", [advisory]), "stale": ("2.0", [])})
    result = dependencies.audit_dependencies()
    assert result["vulnerable"] == ["fresh 3.0: GHSA-xxxx (fixed in 3.1)"]
    assert result["not_audited"] == ["stale 1.0 (latest 2.0)"]
    assert result["audited"] == 1


def test_an_unreachable_pypi_leaves_packages_not_audited_rather_than_clean(monkeypatch):
    _world(monkeypatch, [{"name": "lib", "version": "1.0", "skip_reason": "not found"}], {})
    result = dependencies.audit_dependencies()
    assert result["audited"] == 0 and result["not_audited"] == ["lib 1.0 (latest PyPI out of reach)"]


def test_an_audit_that_checked_nothing_fails(monkeypatch):
    _world(monkeypatch, [{"name": "lib", "version": "1.0", "skip_reason": "not found"}], {})
    monkeypatch.setattr(
        dependencies,
        "run_bandit",
        lambda: {
            "high": [],
            "findings_by_severity": {},
            "files": 0,
            "lines_of_code": 0,
            "lines_marked_nosec": 0,
            "skipped_checks": [],
        },
    )
    monkeypatch.setattr(dependencies, "record", lambda *args, **kwargs: None)
    assert dependencies.main() == 1
