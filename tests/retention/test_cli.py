"""`flask retention delete-due [--dry-run]`: what the daily job does, from the command line, on the operator's
today; a dry run lists and deletes nothing; a refused group makes the command fail with the reason."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from backoffice.extensions import db
from backoffice.invoicing.models import Invoice
from backoffice.jobs.periodic import SCHEDULE
from backoffice.retention import job
from backoffice.rights.models import DataRequest, RestrictedRecord
from backoffice.storage.models import StoredFile
from tests.retention.factories import erased_patient


def long_ago(erased, *, last_day=date(2020, 12, 31)) -> None:
    """The group as if its records were from 2012: every last day passed, the deletion day in 2021."""
    db.session.execute(update(StoredFile).where(StoredFile.key.in_(erased.keys)).values(retain_until=last_day))
    db.session.execute(update(RestrictedRecord).values(retain_until=last_day))
    db.session.execute(
        update(DataRequest).where(DataRequest.id == erased.request_id).values(delete_on=date(2021, 1, 1))
    )
    db.session.commit()


def test_a_dry_run_lists_what_would_go_and_deletes_nothing(app, local_storage):
    erased = erased_patient()
    long_ago(erased)

    result = app.test_cli_runner().invoke(args=["retention", "delete-due", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert f"would delete {erased.pseudonym} (erasure {erased.request_id}): 5 records" in result.output
    assert "1 erasures' records would be deleted; 0 refused." in result.output
    db.session.expire_all()
    assert db.session.get(Invoice, erased.invoice_id) is not None


def test_the_command_deletes_the_groups_due_today(app, local_storage):
    erased = erased_patient()
    long_ago(erased)

    result = app.test_cli_runner().invoke(args=["retention", "delete-due"])

    assert result.exit_code == 0, result.output
    assert f"deleted      {erased.pseudonym}" in result.output and "4 files" in result.output
    db.session.expire_all()
    assert db.session.get(Invoice, erased.invoice_id) is None


def test_a_refused_group_makes_the_command_fail_with_the_reason(app, local_storage):
    erased = erased_patient()
    long_ago(erased)
    db.session.execute(
        update(StoredFile).where(StoredFile.key == erased.keys[0]).values(retain_until=date(2099, 12, 31))
    )
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["retention", "delete-due"])

    assert result.exit_code == 1
    assert "refused" in result.output and "kept by law until 2099-12-31" in result.output


def test_the_daily_job_deletes_what_is_due_and_says_how_much(app, local_storage):
    erased = erased_patient()
    long_ago(erased)

    counts = job.delete_due()

    assert SCHEDULE["retention.delete_due"].days == 1
    assert counts["groups_deleted"] == 1 and counts["records_deleted"] == 5 and counts["files_deleted"] == 4
    assert job.delete_due()["groups_deleted"] == 0
