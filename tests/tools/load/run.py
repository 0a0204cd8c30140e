"""`make loadtest`: the app under load as production runs it, beside a bare Flask route in the same run.

    python -m tests.tools.load.run   (LOADTEST_USERS=50, LOADTEST_SECONDS=60, LOADTEST_SPAWN_RATE=10, LOADTEST_WAIT=2,8)

Everything runs on loopback and is stopped at the end (also on Ctrl-C or failure): a throw-away PostgreSQL 15
cluster, the embedded Redis, the schema migrated (`flask db upgrade`), the demo seeded (`flask demo seed`, then
`--cases` more for a realistic case list) with load-test accounts and more issued invoices (PDFs archived in a temp
INVOICE_ARCHIVE), gunicorn with 2 workers and APP_ENV=production serving tests/tools/load/wsgi_load.py (the app plus
`/_load/bare`). Locust then runs the scenario of tests/tools/load/locustfile.py headless, and the same number of users
at the same pace against the bare route. Each person pauses LOADTEST_WAIT seconds between pages (2 to 8, as people
read; 0.5,2 makes it a stress test that saturates 2 workers, so latency becomes queueing). Signing in (50 at once)
is reported apart, as the warm-up; the measured window of LOADTEST_SECONDS starts once everyone is signed in and
the pages asked meanwhile have been answered (LOADTEST_SETTLE=10 s later).
The table gives requests, requests/s, p50/p95/p99 and the error ratio of each page and of the bare route, and the
app's p50/p95 as multiples of the bare route's. Any failed request (4xx/5xx, a wrong page), an error raised in the
scenario or an error in gunicorn's log makes the run fail (exit 1).

No RQ worker is started: none of the scenario's pages enqueues a job (bill upload audits in the request; invoice
download reads the archive), and Redis only answers /healthz. The figures are recorded for `make evidence`.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
LOAD_PASSWORD = "amber kettle drums at noon"
COORDINATORS, FINANCE = 40, 25
APP_USERS = ("CoordinatorUser", "FinanceUser")
BARE_USERS = ("BareUser",)
WORKERS = 2


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SystemExit(f"{name} must be 1 or more, got {raw!r}")
    return value


# ---------------------------------------------------------------------------------------------- seeding


def seed_extra(data_path: Path, invoices: int) -> None:
    """`python -m tests.tools.load.run --seed FILE`: runs in its own process with the development profile, as the
    demo seed does (production refuses demo data); writes what `seed_load_data` returns to FILE as JSON."""
    from backoffice import create_app
    from backoffice.extensions import db

    app = create_app()
    with app.app_context():
        data = seed_load_data(invoices=invoices)
        db.session.commit()
    for key in ("itineraries", "bill_cases", "invoices"):
        if not data[key]:
            raise SystemExit(f"the seed left nothing for the scenario's {key}")
    data_path.write_text(json.dumps(data, indent=1))


def seed_load_data(*, invoices: int, coordinators: int = COORDINATORS, finance: int = FINANCE) -> dict:
    """On a database holding the demo: accounts for the simulated staff, `invoices` more issued deposit invoices
    (PDFs archived), and the ids the scenario picks from. Flushes; the caller commits."""
    from sqlalchemy import func, select

    from backoffice.auth.models import User
    from backoffice.billing.bills.states import BILLABLE_STATES
    from backoffice.billing.models import TariffImport
    from backoffice.cases.listing import PAGE_SIZE
    from backoffice.cases.models import Case
    from backoffice.demo.billing import stem_cell_stays
    from backoffice.extensions import db
    from backoffice.invoicing import deposits, drafts, issuing
    from backoffice.invoicing.models import Invoice
    from backoffice.logistics.models import Flight
    from backoffice.offers.models import Offer
    from backoffice.users.operations import create_user

    accounts: dict[str, list[str]] = {"coordinator": [], "finance": []}
    for role, count in (("coordinator", coordinators), ("finance", finance)):
        for n in range(1, count + 1):
            email = f"load-{role}-{n:02d}@load.test"
            create_user(
                email=email,
                name=f"Load {role.title()} {n:02d}",
                role=role,
                password=LOAD_PASSWORD,
                must_change_password=False,
            )
            accounts[role].append(email)
    db.session.flush()
    finance_id = db.session.scalar(select(User.id).where(User.email == accounts["finance"][0]))

    candidates = db.session.scalars(
        select(Case.id)
        .where(
            Case.state.in_(("confirmed", "travel_booked")),
            Case.hospital_id.is_not(None),
            Case.id.in_(select(Offer.case_id).where(Offer.status == "accepted", Offer.currency == "EUR")),
            Case.id.not_in(select(Invoice.case_id)),
        )
        .order_by(Case.id)
        .limit(invoices)
    ).all()
    for case_id in candidates:
        draft = deposits.create_deposit_draft(case_id, actor_id=finance_id, share_percent="30")
        drafts.update_draft(  # the seeded patients have no postal address; finance enters it
            draft.id,
            actor_id=finance_id,
            expected_version=None,
            bill_to_name=draft.bill_to_name,
            bill_to_address=draft.bill_to_address or f"Patient address {case_id}\n1000 Somewhere\nSomewhere",
            service_from=None,
            service_to=None,
        )
        issuing.issue_invoice(draft.id, actor_id=finance_id)
    db.session.flush()

    rng = random.Random(2026)
    all_cases = db.session.execute(select(Case.id, Case.number).order_by(Case.id)).all()
    with_trips = db.session.execute(
        select(Case.id, Case.number).where(Case.id.in_(select(Flight.case_id))).order_by(Case.id)
    ).all()
    tariffed = set(db.session.scalars(select(TariffImport.hospital_id)))
    hospital_of = dict(db.session.execute(select(Case.id, Case.hospital_id)).all())
    numbers = dict(all_cases)
    stays = [row for row in stem_cell_stays(BILLABLE_STATES) if hospital_of[row.id] in tariffed]
    total = db.session.scalar(select(func.count()).select_from(Case))
    issued = list(
        db.session.scalars(select(Invoice.number).where(Invoice.number.is_not(None)).order_by(Invoice.number))
    )
    return {
        "password": LOAD_PASSWORD,
        "accounts": accounts,
        "cases": [list(row) for row in rng.sample(all_cases, min(500, len(all_cases)))],
        "case_pages": max(1, -(-total // PAGE_SIZE)),
        "itineraries": [list(row) for row in with_trips],
        "bill_cases": [
            {
                "id": row.id,
                "number": numbers[row.id],
                "admission": row.admission_on.isoformat(),
                "discharge": row.discharge_on.isoformat(),
            }
            for row in stays
        ],
        "invoices": issued,
        "counts": {
            "cases": total,
            "cases_with_trips": len(with_trips),
            "cases_for_bill_upload": len(stays),
            "issued_invoices": len(issued),
            "staff_accounts": coordinators + finance,
        },
    }


# ---------------------------------------------------------------------------------------------- processes


class Processes:
    """Children started by the driver, stopped together (their own process groups: Ctrl-C reaches only us)."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen] = []

    def start(self, args: list[str], **kwargs) -> subprocess.Popen:
        child = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.children.append(child)
        return child

    def stop_all(self) -> None:
        for child in reversed(self.children):
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGKILL)
                    child.wait()


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result.stdout


# ---------------------------------------------------------------------------------------------- Locust


def run_locust(
    users_classes: tuple[str, ...], url: str, env: dict[str, str], prefix: Path, users: int, seconds: int, rate: int
) -> dict:
    args = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(rate),
        "--run-time",  # a bound in case the users never all sign in; the locustfile ends the measured window
        f"{seconds + 600}s",
        "--stop-timeout",
        "10",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        *users_classes,
    ]
    warmup = Path(f"{prefix}_warmup.json")
    env = dict(env, LOADTEST_WARMUP=str(warmup), LOADTEST_SECONDS=str(seconds))
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    stats = Path(f"{prefix}_stats.csv")
    if result.returncode != 0 or not stats.exists():
        raise RuntimeError(f"locust failed (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    if not warmup.exists():
        raise RuntimeError(f"the users never all started (no {warmup.name}):\n{result.stderr[-3000:]}")
    figures = read_stats(prefix)
    figures["warmup"] = json.loads(warmup.read_text())
    return figures


def _ms(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


def read_stats(prefix: Path) -> dict:
    """Of the measured window, per request name and in total: requests, failures, requests/s, p50/p95/p99 (ms);
    the failures' messages and any error the scenario's code raised."""
    rows: dict[str, dict] = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if int(row["Request Count"]) or row["Name"] == "Aggregated":
                rows[row["Name"]] = {
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": round(float(row["Requests/s"]), 1),
                    "p50": _ms(row["50%"]),
                    "p95": _ms(row["95%"]),
                    "p99": _ms(row["99%"]),
                }
    with open(f"{prefix}_failures.csv", newline="") as handle:
        failures = [
            f"{row['Occurrences']}x {row['Method']} {row['Name']}: {row['Error']}" for row in csv.DictReader(handle)
        ]
    # Errors raised in the scenario's code (not a response): Locust lists the failures it was told of here too.
    exceptions, raised = [], 0
    with contextlib.suppress(FileNotFoundError), open(f"{prefix}_exceptions.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if not any(row["Message"] in failure for failure in failures):
                exceptions.append(f"{row['Count']}x {row['Message']}")
                raised += int(row["Count"])
    total = rows.pop("Aggregated")
    total["error_ratio"] = (total["failures"] + raised) / total["requests"] if total["requests"] else 1.0
    return {"total": total, "by_name": rows, "failures": failures, "exceptions": exceptions}


def errors_of(run: dict) -> list[str]:
    """Everything that went wrong in a run: in the warm-up (signing in), the measured window, the scenario's code."""
    return [*(f"warm-up: {error}" for error in run["warmup"]["errors"]), *run["failures"], *run["exceptions"]]


def table(app: dict, bare: dict) -> str:
    head = f"{'scenario':<26}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>9}"
    lines = [head, "-" * len(head)]

    def line(name: str, row: dict) -> str:
        errors = row.get("error_ratio", row["failures"] / row["requests"] if row["requests"] else 0)
        rps = f"{row['rps']:>8.1f}" if "rps" in row else f"{'':>8}"
        return (
            f"{name:<26}{row['requests']:>9}{rps}{row['p50']:>9.0f}{row['p95']:>9.0f}{row['p99']:>9.0f}{errors:>9.2%}"
        )

    lines.append(line("app (every page)", app["total"]))
    for name, row in sorted(app["by_name"].items()):
        lines.append(line(f"  {name}", row))
    lines.append(line("bare Flask route", bare["total"]))
    lines.append("-" * len(head))
    warmup = app["warmup"]
    for name, row in sorted(warmup["by_name"].items()):
        lines.append(line(f"{name} (warm-up)", row))
    lines.append(
        f"app / bare: p50 x{ratio(app['total']['p50'], bare['total']['p50'])}, "
        f"p95 x{ratio(app['total']['p95'], bare['total']['p95'])}   "
        f"(warm-up: {warmup['requests']} requests in {warmup['seconds']:.0f} s, signing in and settling)"
    )
    return "\n".join(lines)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}" if b else "n/a"


# ---------------------------------------------------------------------------------------------- the run


def main() -> int:
    from tests.servers import embedded_redis, free_port, throwaway_postgres, wait_for_health
    from tests.tools.evidence import record

    users = _setting("LOADTEST_USERS", 50)
    seconds = _setting("LOADTEST_SECONDS", 60)
    rate = _setting("LOADTEST_SPAWN_RATE", 10)
    pause = os.environ.get("LOADTEST_WAIT") or "2,8"
    extra_cases = _setting("LOADTEST_EXTRA_CASES", 2000)
    invoices = _setting("LOADTEST_INVOICES", 20)
    processes = Processes()

    def interrupted(*_args) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    workdir = Path(tempfile.mkdtemp(prefix="backoffice-load-"))
    try:
        with throwaway_postgres("backoffice_load") as database_url, embedded_redis() as redis_url:
            base = {
                k: v
                for k, v in os.environ.items()
                if k not in ("APP_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FLASK_DEBUG", "INSTANCE_PATH")
            }
            base.update(
                FLASK_APP="wsgi",
                DATABASE_URL=database_url,
                REDIS_URL=redis_url,
                SECRET_KEY=secrets.token_hex(32),
                INSTANCE_PATH=str(workdir / "instance"),
                INVOICE_ARCHIVE=str(workdir / "invoices"),
                CASE_DOCUMENTS_DIR=str(workdir / "documents"),
            )
            (workdir / "instance").mkdir()  # `make run` makes it; the demo seed writes a bill to upload there
            seed_env = dict(base, APP_ENV="development")
            flask = [sys.executable, "-m", "flask"]
            started = time.perf_counter()
            print("load test: migrating and seeding a throw-away PostgreSQL ...", flush=True)
            _run([*flask, "db", "upgrade"], seed_env, "flask db upgrade")
            _run([*flask, "demo", "seed"], seed_env, "flask demo seed")
            _run([*flask, "demo", "seed", "--cases", str(extra_cases)], seed_env, "flask demo seed --cases")
            data_path = workdir / "data.json"
            seed = [sys.executable, "-m", "tests.tools.load.run", "--seed", str(data_path), "--invoices", str(invoices)]
            _run(seed, seed_env, "the load test's seed")
            counts = json.loads(data_path.read_text())["counts"]
            print(f"load test: seeded in {time.perf_counter() - started:.0f} s: {counts}", flush=True)

            port = free_port()
            url = f"http://127.0.0.1:{port}"
            web_env = dict(
                base,
                APP_ENV="production",
                TRUSTED_PROXIES="1",
                SMTP_URL=base.get("SMTP_URL") or "smtp://127.0.0.1:8025",
                PUBLIC_URL=base.get("PUBLIC_URL") or "http://127.0.0.1",
            )
            log = workdir / "gunicorn.log"
            gunicorn = [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--error-logfile",
                "-",
                "tests.tools.load.wsgi_load:make_app()",
            ]
            with log.open("w") as output:
                server = processes.start(gunicorn, cwd=ROOT, env=web_env, stdout=output, stderr=subprocess.STDOUT)
            wait_for_health(url, server, log, what="gunicorn", timeout=60)
            print(f"load test: gunicorn ({WORKERS} workers, production) on {url}", flush=True)

            locust_env = dict(base, LOADTEST_DATA=str(data_path), LOADTEST_WAIT=pause)
            load_before = round(os.getloadavg()[0], 1)
            print(f"load test: {users} users, pausing {pause} s between pages, {seconds} s on the app ...", flush=True)
            app = run_locust(APP_USERS, url, locust_env, workdir / "app", users, seconds, rate)
            print(f"load test: {users} users for {seconds} s on the bare route ...", flush=True)
            bare = run_locust(BARE_USERS, url, locust_env, workdir / "bare", users, seconds, rate)
            server_errors = [
                line
                for line in log.read_text().splitlines()
                if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line
            ]
            processes.stop_all()
    except KeyboardInterrupt:
        print("load test: interrupted; stopping everything", file=sys.stderr, flush=True)
        processes.stop_all()
        return 130
    except RuntimeError as error:
        print(f"load test: {error}", file=sys.stderr, flush=True)
        processes.stop_all()
        return 1
    finally:
        processes.stop_all()
        if os.environ.get("LOADTEST_KEEP"):
            print(f"load test: kept {workdir}", flush=True)
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(table(app, bare))
    problems = [*errors_of(app), *errors_of(bare)]
    passed = app["total"]["error_ratio"] == 0 and bare["total"]["error_ratio"] == 0 and not problems
    passed = passed and not server_errors
    figures = {
        "users": users,
        "seconds_measured": seconds,
        "pause_between_pages_seconds": pause,
        "gunicorn_workers": WORKERS,
        "seeded": counts,
        "app": app["total"],
        "app_by_page": app["by_name"],
        "bare_route": bare["total"],
        "app_p50_vs_bare": ratio(app["total"]["p50"], bare["total"]["p50"]),
        "app_p95_vs_bare": ratio(app["total"]["p95"], bare["total"]["p95"]),
        "sign_in_warmup": app["warmup"],
        "problems": problems,
        "server_errors_logged": len(server_errors),
        "machine_load_average_1min": {"before": load_before, "after": round(os.getloadavg()[0], 1)},
        "cpu_cores": os.cpu_count(),
        "passed": passed,
    }
    record("loadtest", figures, command="make loadtest", database="postgresql")
    for problem in problems + server_errors[:20]:
        print(f"  ! {problem}")
    print(
        f"\nloadtest: {'PASSED' if passed else 'FAILED'}: {users} users, {seconds} s measured; error ratio app "
        f"{app['total']['error_ratio']:.2%}, bare {bare['total']['error_ratio']:.2%}; {len(problems)} problem(s), "
        f"{len(server_errors)} server error(s) logged; machine load average {load_before} before, "
        f"{figures['machine_load_average_1min']['after']} after, on {os.cpu_count()} cores",
        flush=True,
    )
    return 0 if passed else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--seed":
        invoice_count = int(sys.argv[sys.argv.index("--invoices") + 1]) if "--invoices" in sys.argv else 20
        seed_extra(Path(sys.argv[2]), invoice_count)
        sys.exit(0)
    sys.exit(main())
