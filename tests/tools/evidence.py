"""Figures the proof suites measure, kept for `make evidence` (docs/EVIDENCE.md).

Each suite calls `record("<name>", figures)` once per run; the file `test-artifacts/evidence/<name>.json` then holds
the figures, when and on which database they were measured, and the command that measures them again.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EVIDENCE = Path(__file__).resolve().parents[2] / "test-artifacts" / "evidence"


def record(name: str, figures: dict[str, Any], *, command: str, database: str | None = None) -> Path:
    """Write (replace) the figures of one suite; values must be JSON-serialisable (str for Decimal)."""
    EVIDENCE.mkdir(parents=True, exist_ok=True)
    path = EVIDENCE / f"{name}{'-' + database if database else ''}.json"
    entry = {
        "name": name,
        "database": database,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} ({platform.machine()}, Python {platform.python_version()})",
        "command": command,
        "figures": figures,
    }
    path.write_text(json.dumps(entry, indent=2, default=str) + "\n")
    return path


def record_outcomes(terminalreporter, folder: str, name: str, *, command: str, **extra: Any) -> dict[str, Any] | None:
    """From a pytest_terminal_summary hook: which tests of `folder` (e.g. "tests/faults/") passed, for the record."""
    ran = {
        outcome: [r for r in terminalreporter.stats.get(outcome, []) if folder in getattr(r, "nodeid", "")]
        for outcome in ("passed", "failed", "error", "skipped")
    }
    if not any(ran.values()):
        return None
    figures = {
        "tests_passed": len(ran["passed"]),
        "tests_failed": len(ran["failed"]) + len(ran["error"]),
        "tests_skipped": len(ran["skipped"]),
        "seconds_in_test_calls": round(sum(r.duration for rs in ran.values() for r in rs if r.when == "call"), 1),
        **extra,
        "tests": {
            r.nodeid.split(folder, 1)[-1]: r.outcome + (f" ({r.longrepr[2]})" if r.skipped and r.longrepr else "")
            for rs in ran.values()
            for r in rs
            if r.when == "call" or r.skipped
        },
    }
    database = terminalreporter.config.getoption("--db", None)
    record(name, figures, command=command, database=database)
    return figures


# ---- `make evidence`: docs/EVIDENCE.md from the recorded figures ------------------------------------------------

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "EVIDENCE.md"
# The order and headings of the sections; figures of other names follow under their own name.
SECTIONS = (
    (
        "Browser end-to-end suite",
        "Playwright driving Debian's Chromium against a `make run`-style server.",
        ("e2e", "finance-layout"),
    ),
    ("Access matrix", "Every route and method, as each role, with another patient's ids.", ("access-matrix",)),
    (
        "Malformed-input sweep",
        "Hypothesis-generated input to every form, file field, import command and query parameter, as each role.",
        ("malformed-inputs", "stored-then-rendered", "stored-then-rendered-bench"),
    ),
    ("Concurrency", "Invoices issued at once from parallel connections; races through the web.", ("concurrency",)),
    (
        "Faults",
        "Killed workers, Redis outage, PostgreSQL restart, an unwritable or full invoice archive.",
        ("faults", "shipments-kill-run", "shipments-recovery", "postgresql-restart"),
    ),
    (
        "Mail",
        "Outgoing mail through the outbox, real worker processes and a real SMTP server (aiosmtpd): a mail server "
        "outage during a burst (`make test`: seconds, with fast retries; `make evidence`: a minute, with production's "
        "retry timing), workers killed -9 in mid-send (delivery is at least once: a message the server had taken "
        "arrives again under the same Message-ID, which a receiver deduplicates by), and the rate against a bare "
        "smtplib loop to the same server.",
        ("mail",),
    ),
    ("Load", "Locust, headless, against gunicorn (2 workers) + PostgreSQL + Redis.", ("loadtest",)),
    ("Dependencies and code", "pip-audit and bandit.", ("dependency-audit",)),
    ("Benchmarks (`make bench`)", "Ratios against a baseline measured in the same run.", ("bench", "shipments")),
)


def _machine() -> list[str]:
    import os
    import shutil
    import subprocess

    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip('"')
        except OSError:
            pass
        return "unknown"

    def version(*command: str) -> str:
        if not shutil.which(command[0]):
            return "not installed"
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "?"

    pg = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
    return [
        f"- CPU: {first('/proc/cpuinfo', 'model name')}, {os.cpu_count()} cores",
        f"- Memory: {first('/proc/meminfo', 'MemTotal')}",
        f"- OS: {first('/etc/os-release', 'PRETTY_NAME')}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {version(f'{pg}/postgres', '--version')}; "
        f"{version('/usr/bin/chromium', '--version')}",
    ]


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _figures(figures: dict[str, Any], depth: int = 0) -> list[str]:
    lines: list[str] = []
    indent = "  " * depth
    for key, value in figures.items():
        rows = value if isinstance(value, dict) else None
        if rows and all(isinstance(row, dict) for row in rows.values()) and len(rows) > 1:
            columns = list(dict.fromkeys(column for row in rows.values() for column in row))
            if all(not isinstance(row.get(c), dict | list) for row in rows.values() for c in columns):
                lines += [
                    "",
                    f"{indent}**{key}**",
                    "",
                    f"| | {' | '.join(columns)} |",
                    "|---" * (len(columns) + 1) + "|",
                ]
                for name, row in rows.items():
                    lines.append(f"| {_value(name)} | " + " | ".join(_value(row.get(c, "")) for c in columns) + " |")
                lines.append("")
                continue
        if isinstance(value, dict):
            lines.append(f"{indent}- {key}:" if value else f"{indent}- {key}: none")
            lines += _figures(value, depth + 1)
        elif isinstance(value, list):
            lines.append(f"{indent}- {key}: " + ("none" if not value else f"{len(value)}"))
            lines += [f"{indent}  - {_value(item)}" for item in value[:40]]
            if len(value) > 40:
                lines.append(f"{indent}  - ... and {len(value) - 40} more")
        else:
            lines.append(f"{indent}- {key}: {_value(value)}")
    return lines


def render() -> str:
    entries = [json.loads(path.read_text()) for path in sorted(EVIDENCE.glob("*.json"))]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Evidence",
        "",
        f"Generated by `make evidence` on {generated}. Every figure below names the command that measures it again;",
        "`make evidence` reruns all of them (see the Makefile) and rewrites this file. Timings are ratios against a",
        "baseline of the same run where one exists: absolute times depend on the machine and on what else it runs.",
        "",
        "## Machine",
        "",
        *_machine(),
    ]
    lines += _headlines(entries)
    done: set[str] = set()
    for heading, description, prefixes in SECTIONS:
        chosen = [
            e
            for e in entries
            if e["name"] + str(e["database"]) not in done
            and any(e["name"] == p or e["name"].startswith(p + "-") for p in prefixes)
        ]
        lines += ["", f"## {heading}", "", description]
        if not chosen:
            lines += ["", "_Not measured in this run._"]
        for entry in chosen:
            done.add(entry["name"] + str(entry["database"]))
            lines += _entry(entry)
    rest = [e for e in entries if e["name"] + str(e["database"]) not in done]
    if rest:
        lines += ["", "## Other figures"]
        for entry in rest:
            lines += _entry(entry)
    return "\n".join(lines) + "\n"


def _headlines(entries: list[dict[str, Any]]) -> list[str]:
    """The figures the issue asks for, one line each, from whichever runs were recorded."""

    def find(name: str, database: str | None = None) -> dict[str, Any] | None:
        for entry in entries:
            if entry["name"] == name and (database is None or entry["database"] == database):
                return entry["figures"]
        return None

    lines = ["", "## Headline figures", ""]
    for database in ("sqlite", "postgresql"):
        if figures := find("access-matrix", database):
            lines.append(
                f"- Access matrix ({database}): {figures.get('requests')} requests over {figures.get('route_methods')} "
                f"routes x methods and {figures.get('visitors')} kinds of visitor; unauthorised 2xx: "
                f"{figures.get('unauthorised_2xx')}; answers not as the table: {figures.get('answers_not_as_table')}; "
                f"patient data in refusals: {figures.get('patient_data_leaks')}"
            )
    for name in ("malformed-inputs", "malformed-inputs-bench"):
        for database in ("sqlite", "postgresql"):
            if figures := find(name, database):
                lines.append(
                    f"- Malformed inputs ({'make bench' if 'bench' in name else 'make test'}, {database}): "
                    f"{figures.get('inputs'):,} inputs to {figures.get('forms')} forms, "
                    f"{figures.get('post_endpoints_swept')}/{figures.get('post_endpoints_in_app')} POST endpoints; "
                    f"5xx: {figures.get('5xx')}, findings: {figures.get('findings')}"
                )
    if figures := find("concurrency-1000-issues", "postgresql"):
        lines.append(
            f"- Concurrency (PostgreSQL): {figures.get('issues'):,} invoices issued from {figures.get('connections')} "
            f"connections: {figures.get('numbers')}"
        )
    for entry in entries:
        if entry["name"].startswith("shipments-kill-run-100"):
            figures = entry["figures"]
            lines.append(f"- Kill run ({entry['database']}): " + "; ".join(f"{k}: {v}" for k, v in figures.items()))
    for database in ("sqlite", "postgresql"):
        if figures := find("mail-outage-burst", database):
            lines.append(
                f"- Mail outage ({database}): {figures.get('messages')} messages, "
                f"{figures.get('outage (s): answering 421, then down, then back')} s of 421 then down, retries "
                f"{figures.get('retry settings')}: delivered {figures.get('delivered')}, duplicates "
                f"{figures.get('copies received beyond one per Message-ID')}, rows sent {figures.get('rows sent')}"
            )
        if figures := find("mail-worker-killed", database):
            lines.append(
                f"- Mail, worker killed -9 in mid-send ({database}): {figures.get('messages')} messages, kills at "
                f"{', '.join(figures.get('kills -9 (stage of the conversation)', []))}: lost "
                f"{figures.get('messages lost')}, under another Message-ID "
                f"{figures.get('messages received under another Message-ID')}, sent again under the same Message-ID "
                f"{figures.get('received twice (same Message-ID, same bytes)')} (killed after the server took it)"
            )
        if figures := find("mail-throughput", database):
            rates = {k.removesuffix(": messages per second"): v for k, v in figures.items() if k.endswith("second")}
            ratios = {k.removeprefix("rate ratio, outbox with "): v for k, v in figures.items() if k.startswith("rate")}
            lines.append(
                f"- Mail throughput ({database}, {figures.get('messages'):,} messages): "
                + "; ".join(f"{k}: {v}/s" for k, v in rates.items())
                + "; rate ratios: "
                + "; ".join(f"{k}: {v}" for k, v in ratios.items())
            )
    if figures := find("postgresql-restart-under-load"):
        lines.append("- PostgreSQL restart under load: " + "; ".join(f"{k}: {v}" for k, v in figures.items()))
    if (figures := find("loadtest")) and isinstance(figures.get("app"), dict):
        app, bare = figures["app"], figures.get("bare_route", {})
        lines.append(
            f"- Load ({figures.get('users')} users, {figures.get('seconds_measured')} s): app {app.get('rps')} req/s, "
            f"p50/p95/p99 {app.get('p50')}/{app.get('p95')}/{app.get('p99')} ms, error ratio {app.get('error_ratio')}; "
            f"bare route p50/p95/p99 {bare.get('p50')}/{bare.get('p95')}/{bare.get('p99')} ms"
        )
    if figures := find("dependency-audit"):
        audit, bandit = figures.get("pip_audit", {}), figures.get("bandit", {})
        lines.append(
            f"- pip-audit: {audit.get('audited')} of {audit.get('installed')} packages audited, "
            f"{len(audit.get('vulnerable', []))} vulnerable, {len(audit.get('not_audited', []))} not auditable here; "
            f"bandit: {bandit.get('findings_by_severity')}"
        )
    return lines if len(lines) > 3 else []


def _entry(entry: dict[str, Any]) -> list[str]:
    figures = dict(entry["figures"])
    title = figures.pop("title", entry["name"])
    database = f", {entry['database']}" if entry["database"] else ""
    return [
        "",
        f"### {title}{database}",
        "",
        f"Measured {entry['measured_at']} on {entry['machine']} by `{entry['command']}`.",
        "",
        *_figures(figures),
    ]


def main() -> int:
    if not any(EVIDENCE.glob("*.json")):
        print(f"No figures in {EVIDENCE}: run `make evidence` (or the suites it names) first.")
        return 1
    DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
    DOCUMENT.write_text(render())
    print(f"Wrote {DOCUMENT} from {len(list(EVIDENCE.glob('*.json')))} figure files.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
