"""`flask retention ...`: legal retention from the command line.

- `report`: the settings, the stored files per kind (how many, past their last day, falling due this year and next),
  the medical records due by the operator's policy, and every erasure's restricted records with their days.
- `delete-due [--dry-run]`: delete the restricted records whose deletion day has come (what the daily job does), or
  only list what would go; one line per erasure, a summary; exit 1 when a group was refused or the store failed.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from backoffice.dbtypes import operator_today
from backoffice.retention import operations, records, report

retention_cli = AppGroup("retention", help="Legal retention: the report, and the deletion of records whose day came.")

OUTCOMES = {
    "deleted": "deleted",
    "would_delete": "would delete",
    "refused": "refused",
    "unavailable": "store failed",
}


@retention_cli.command("report")
def report_command() -> None:
    """What the store holds and when it falls due, medical records due by policy, the erased patients' records."""
    today = operator_today()
    years = report.retention_settings()
    click.echo(
        f"Retention (years after the end of the document's year): invoices {years.invoice_years}, books "
        f"{years.books_years}, business letters {years.letter_years}, medical records {years.medical_years} (the "
        f"operator's policy). Today: {today.isoformat()}."
    )
    click.echo("")
    click.echo(f"{'Stored files':<20} {'files':>8} {'past':>8} {today.year:>8} {today.year + 1:>8}  kept")
    for figures in report.files_by_kind(today):
        kept = f"{figures.years} years" if figures.years else "no legal period"
        kept += ", locked" if figures.locked else ", erasable"
        click.echo(
            f"{figures.kind:<20} {figures.files:>8} {figures.past:>8} {figures.this_year:>8} {figures.next_year:>8}"
            f"  {kept}"
        )
    click.echo("")
    page_number, pages = 1, 1
    while page_number <= pages:
        medical = report.medical_due(today, page=page_number)
        if page_number == 1:
            cases = "case" if medical.total == 1 else "cases"
            click.echo(f"Medical records due for deletion by policy (report only): {medical.total} {cases}")
        for due in medical.items:
            click.echo(
                f"  {due.case.number:<14} {due.case.state:<10} ended {due.ended_on.isoformat()}  "
                f"{due.documents} records  due since {due.due_since.isoformat()}"
            )
        page_number, pages = page_number + 1, medical.pages
    click.echo("")
    erasures = report.erasure_figures(today)
    next_day = erasures.next_delete_on.isoformat() if erasures.next_delete_on else "none"
    click.echo(
        f"Restricted records of erased patients: {erasures.waiting} erasures waiting, {erasures.due} due, "
        f"{erasures.deleted} deleted; {erasures.records_kept} records kept; next deletion day {next_day}"
    )
    _erasures(today)


def _erasures(today) -> None:
    page_number, pages = 1, 1
    while page_number <= pages:
        page, groups = records.restricted_page(page_number)
        for group in groups:
            request = group.request
            day = request.delete_on
            state = "deleted" if group.deleted else ("due" if day and day <= today else "kept")
            name = request.patient.pseudonym or request.patient.name
            click.echo(f"  {name} (erasure {request.id}): deletion day {day.isoformat() if day else 'none'}, {state}")
            if group.refusal is not None and not group.deleted:
                click.echo(
                    f"    last refused {group.refusal.occurred_at:%Y-%m-%d}: {group.refusal.details.get('reason')}"
                )
            for row in group.rows:
                record = row.record
                gone = f"  deleted {record.deleted_at:%Y-%m-%d}" if record.deleted_at else ""
                click.echo(
                    f"    {record.kind:<17} {record.reference or record.row_id:<28} dated {record.dated.isoformat()}"
                    f"  kept until {record.retain_until.isoformat()}{gone}"
                )
        page_number, pages = page_number + 1, page.pages


@retention_cli.command("delete-due")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
def delete_due_command(dry_run: bool) -> None:
    """Delete every erasure's restricted records whose deletion day has come (rows, dependent rows, files)."""
    outcomes = operations.delete_due(operator_today(), dry_run=dry_run)
    for outcome in outcomes:
        what = f"{outcome.records} records, {sum(outcome.rows.values())} rows, {outcome.files} files"
        detail = outcome.note if outcome.outcome in ("refused", "unavailable") else what
        click.echo(f"{OUTCOMES[outcome.outcome]:<12} {outcome.pseudonym} (erasure {outcome.request_id}): {detail}")
    done = operations.counts(outcomes)
    if dry_run:
        would = [outcome for outcome in outcomes if outcome.outcome == "would_delete"]
        click.echo(f"{len(would)} erasures' records would be deleted; {done['groups_refused']} refused.")
    else:
        click.echo(
            f"{done['groups_deleted']} erasures' records deleted ({done['records_deleted']} records, "
            f"{done['rows_deleted']} rows, {done['files_deleted']} files); {done['groups_refused']} refused."
        )
    if done["store_unavailable"]:
        click.echo("The store failed: nothing of that erasure was deleted; run the command again later.", err=True)
    if done["groups_refused"] or done["store_unavailable"]:
        sys.exit(1)
