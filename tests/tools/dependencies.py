"""`make audit`: no installed package with a known vulnerability (pip-audit), no unexplained high-severity finding
in our own code (bandit).

pip-audit asks PyPI's per-release JSON API for the advisories of each installed version. Where that API is out of
reach (this workplace's network serves only the per-project JSON), each package left unaudited is checked against
the per-project JSON instead, whose `vulnerabilities` are those of the latest release: an installed version equal to
the latest is audited that way; any other is listed as not audited, by name, never counted as clean.

Exit status 1 when a vulnerability is known for an installed version (or bandit reports a high-severity issue), so
`make test` goes red. Figures go to test-artifacts/evidence/dependency-audit.json for `make evidence`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.tools.evidence import record

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYPI = "https://pypi.org/pypi/{name}/json"
# Advisories judged not to affect us, each with its reason (none today). {"PYSEC-...": "why it does not apply"}
ACCEPTED_ADVISORIES: dict[str, str] = {}


def run_pip_audit() -> list[dict]:
    result = subprocess.run(
        [str(BIN / "pip-audit"), "--skip-editable", "--progress-spinner", "off", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    try:
        return json.loads(result.stdout)["dependencies"]
    except (json.JSONDecodeError, KeyError):
        print(result.stdout[-2000:], result.stderr[-2000:], sep="\n", file=sys.stderr)
        raise SystemExit("pip-audit gave no report") from None


def latest_release_advisories(name: str) -> tuple[str | None, list[dict]] | None:
    """(latest version, its advisories) from PyPI's per-project JSON, or None when PyPI is out of reach."""
    try:
        with urllib.request.urlopen(PYPI.format(name=name), timeout=20) as response:
            data = json.load(response)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError, OSError):
        return None
    if not isinstance(data.get("vulnerabilities"), list):
        return None  # an answer without the advisories field says nothing about them: not audited, not clean
    return data.get("info", {}).get("version"), data["vulnerabilities"]


def installed_versions() -> dict[str, str]:
    listing = subprocess.run(
        [str(BIN / "python"), "-m", "pip", "list", "--format", "json", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {re.sub(r"[-_.]+", "-", p["name"]).lower(): p["version"] for p in json.loads(listing.stdout)}


def audit_dependencies() -> dict:
    report = run_pip_audit()
    versions = installed_versions()
    vulnerable, audited, not_audited = [], [], []
    fallback = []
    for dependency in report:
        name = re.sub(r"[-_.]+", "-", dependency["name"]).lower()
        if "skip_reason" in dependency:
            if name != "backoffice":  # this project itself, installed editable
                fallback.append(name)
            continue
        audited.append(name)
        for vuln in dependency.get("vulns", []):
            vulnerable.append((name, dependency["version"], vuln["id"], vuln.get("fix_versions", [])))
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = dict(zip(fallback, pool.map(latest_release_advisories, fallback), strict=True))
    for name, answer in answers.items():
        version = versions.get(name)
        if answer is None or version is None or answer[0] != version:
            latest = answer[0] if answer else "PyPI out of reach"
            not_audited.append(f"{name} {version} (latest {latest})")
            continue
        audited.append(name)
        for vuln in answer[1]:
            if not vuln.get("withdrawn"):
                vulnerable.append((name, version, vuln.get("id"), vuln.get("fixed_in", [])))
    vulnerable = [v for v in vulnerable if v[2] not in ACCEPTED_ADVISORIES]
    return {
        "installed": len(report) - sum(1 for d in report if d["name"] == "backoffice"),
        "audited": len(audited),
        "audited_by_pip_audit_per_release": len(audited) - len(answers) + len(not_audited),
        "audited_by_latest_release_json": len(answers) - len(not_audited),
        "not_audited": not_audited,
        "vulnerable": [f"{n} {v}: {i} (fixed in {', '.join(f) or 'no release yet'})" for n, v, i, f in vulnerable],
        "accepted_advisories": ACCEPTED_ADVISORIES,
    }


def run_bandit() -> dict:
    result = subprocess.run(
        [str(BIN / "bandit"), "-q", "-r", "backoffice", "wsgi.py", "-c", "pyproject.toml", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout[-2000:], result.stderr[-2000:], sep="\n", file=sys.stderr)
        raise SystemExit("bandit gave no report") from None
    findings = data["results"]
    by_severity = {
        level: sum(1 for f in findings if f["issue_severity"] == level) for level in ("HIGH", "MEDIUM", "LOW")
    }
    high = [
        f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_text']}"
        for f in findings
        if f["issue_severity"] == "HIGH"
    ]
    return {
        "files": len(data["metrics"]) - 1,
        "lines_of_code": data["metrics"]["_totals"]["loc"],
        "findings_by_severity": by_severity,
        "high": high,
        "lines_marked_nosec": data["metrics"]["_totals"].get("nosec", 0)
        or sum(1 for path in (ROOT / "backoffice").rglob("*.py") for line in path.open() if "# nosec" in line),
        "skipped_checks": tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["bandit"]["skips"],
        "other": [
            f"{f['filename']}:{f['line_number']} {f['test_id']} ({f['issue_severity']}) {f['issue_text']}"
            for f in findings
            if f["issue_severity"] != "HIGH"
        ],
    }


def main() -> int:
    dependencies = audit_dependencies()
    code = run_bandit()
    record("dependency-audit", {"pip_audit": dependencies, "bandit": code}, command="make audit")
    print(
        f"pip-audit: {dependencies['installed']} installed packages, {dependencies['audited']} audited "
        f"({dependencies['audited_by_pip_audit_per_release']} per release, "
        f"{dependencies['audited_by_latest_release_json']} as the latest release), "
        f"{len(dependencies['not_audited'])} not audited here, {len(dependencies['vulnerable'])} vulnerable"
    )
    for line in dependencies["not_audited"]:
        print(f"  not audited (PyPI's per-release advisories out of reach): {line}")
    for line in dependencies["vulnerable"]:
        print(f"  VULNERABLE: {line}")
    severities = ", ".join(f"{level.lower()} {n}" for level, n in code["findings_by_severity"].items())
    print(
        f"bandit: {code['files']} files, {code['lines_of_code']} lines; findings: {severities}; "
        f"{code['lines_marked_nosec']} line(s) marked `# nosec` with a reason; skipped checks (reasons in "
        f"pyproject.toml [tool.bandit]): {', '.join(code['skipped_checks'])}"
    )
    for line in code["high"]:
        print(f"  HIGH: {line}")
    if not dependencies["audited"]:
        print("  NOTHING AUDITED: no advisory source answered; an audit that checked nothing does not pass")
    return 1 if dependencies["vulnerable"] or code["high"] or not dependencies["audited"] else 0


if __name__ == "__main__":
    sys.exit(main())
