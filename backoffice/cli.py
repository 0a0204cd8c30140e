"""`flask` command groups: users, demo, jobs, and the features' own (hospitals, tariffs, bills, accounting, storage,
retention)."""

from __future__ import annotations

import random
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from backoffice import demo
from backoffice.accounting.cli import accounting_cli
from backoffice.auth.models import User
from backoffice.auth.permissions import ROLES
from backoffice.billing.bills.cli import bills_cli
from backoffice.billing.tariffs.cli import tariffs_cli
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.demo import DEMO_PASSWORD, DEMO_USERS  # noqa: F401 - re-exported (devserver, tests)
from backoffice.directory.cli import hospitals_cli
from backoffice.errors import CommandRefused, DomainError
from backoffice.extensions import db
from backoffice.jobs import make_worker
from backoffice.retention.cli import retention_cli
from backoffice.storage.cli import storage_cli
from backoffice.templating import format_datetime
from backoffice.text import clean_line
from backoffice.users.operations import create_user

users_cli = AppGroup("users", help="Staff and patient accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying the app out.")
jobs_cli = AppGroup("jobs", help="Background jobs (RQ).")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
@click.option(
    "--own-password",
    is_flag=True,
    help="The person typed the password themselves (their own account): no change asked at the first sign-in.",
)
def create_user_command(email: str, role: str, name: str, password_stdin: bool, own_password: bool) -> None:
    """Create an account; the password is prompted for (twice) or read from standard input. Unless --own-password,
    the person must choose their own password at the first sign-in."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            email=clean_line(email),
            name=clean_line(name),
            role=role,
            password=password,
            must_change_password=not own_password,
        )
    except DomainError as error:
        raise CommandRefused(error.message) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@users_cli.command("list")
def list_users_command() -> None:
    """Every account with its role and state."""
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    if not users:
        click.echo("No accounts yet.")
        return
    width = max(len(u.email) for u in users)
    for user in users:
        state = "active" if user.active else "deactivated"
        last = format_datetime(user.last_login_at) if user.last_login_at else "never signed in"
        click.echo(f"{user.id:>5}  {user.email:<{width}}  {user.role:<11}  {state:<11}  {last}  {user.name}")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds accounts.")
@click.option("--cases", type=click.IntRange(min=1, max=1_000_000), help="Add this many cases (for benchmarks).")
def seed_demo_command(if_empty: bool, cases: int | None) -> None:
    """Demo accounts (password `demo-password`), hospitals and cases. Refused when configured for production.

    Without --cases, ~200 cases are added to a database that holds none; --cases N adds N more every time.
    """
    if settings().app_env == "production":
        raise CommandRefused("demo data is never seeded in production (APP_ENV=production).")
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("The database already holds accounts; demo data not seeded.")
        return
    started = time.perf_counter()
    created = demo.seed_accounts()
    directory = demo.seed_directory()
    demo.seed_interpreters()
    count = cases or (0 if demo.has_cases() else demo.DEMO_CASES)
    rng = random.Random(cases or 2026)
    case_ids = demo.seed_cases(count, rng)
    if not cases:
        # The small demo is for trying the app: its cases get their records, trips, follow-ups and a bill too.
        demo.seed_trips(case_ids, rng, today=utcnow().date())
        finance_id = db.session.scalar(select(User.id).where(User.email == "finance@demo.test"))
        demo.seed_tariffs(finance_id)
        demo.seed_bills(finance_id)
        demo.seed_notifications()
    db.session.commit()
    if count >= 10_000:
        demo.refresh_statistics()
        db.session.commit()
    click.echo(f"Demo data: {created} account(s) created, {len(DEMO_USERS) - created} already there.")
    click.echo(f"Directory: {'German hospitals and paused destinations added' if directory else 'already there'}.")
    click.echo(f"Cases: {count} added in {time.perf_counter() - started:.1f} s.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--with-scheduler/--without-scheduler", default=True, show_default=True)
def worker_command(burst: bool, with_scheduler: bool) -> None:
    """Run an RQ worker on the app's queues, jobs running inside the app."""
    worker = make_worker(current_app._get_current_object())  # type: ignore[attr-defined]
    worker.work(burst=burst, with_scheduler=with_scheduler)


@jobs_cli.command("dispatch")
@click.option("--once", is_flag=True, help="Send what is due once and stop.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between rounds.")
def dispatch_command(once: bool, interval: float) -> None:
    """Send due jobs from the outbox to RQ (scheduled ones included); resend those whose worker died."""
    from backoffice.jobs.dispatcher import run_dispatcher

    run_dispatcher(once=once, interval=interval)


def register_cli(app: Flask) -> None:
    for group in (
        users_cli,
        demo_cli,
        jobs_cli,
        hospitals_cli,
        tariffs_cli,
        bills_cli,
        accounting_cli,
        storage_cli,
        retention_cli,
    ):
        app.cli.add_command(group)
