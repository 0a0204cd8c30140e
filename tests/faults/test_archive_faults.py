"""The invoice archive failing at the moment finance presses "Issue", for real (no monkeypatched writes): a file where
the year's folder should be, a read-only file system, an immutable folder, a full disk.

Each time the issue is refused cleanly: the invoice page again with the reason and a 503 (not a 500 traceback), the
invoice still a draft, no number consumed (the next successful issue gets the number the failed one would have had),
no partial or temporary file left in the archive, and the log says why. As root, permission bits do not stop writes,
so the read-only case is a read-only bind mount there; the full disk is a small tmpfs filled to the last byte. Where
the machine does not allow a condition (no mount, no chattr), that test is skipped and says why.
"""

from __future__ import annotations

import contextlib
import errno
import html
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.invoicing import deposits, issuing
from backoffice.invoicing.models import Invoice
from backoffice.numbering import NumberSeries
from tests.helpers import change_settings
from tests.invoicing.factories import make_invoicing_case

ROOT = os.geteuid() == 0


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False)


def files_in(folder: Path) -> list[str]:
    """Every file under the archive, temporary ones (".issuing-*") included."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


@pytest.fixture
def archive(app, tmp_path, monkeypatch) -> Path:
    """The app's invoice archive for this test: a folder of its own under tmp_path."""
    folder = tmp_path / "archive"
    folder.mkdir()
    change_settings(monkeypatch, app, invoice_archive=str(folder))
    return folder


@pytest.fixture
def year() -> str:
    return str(operator_today().year)


@pytest.fixture
def drafts(app):
    """One invoice issued already (number 1 of the year) and a draft waiting to be issued: the number at stake is 2."""
    case = make_invoicing_case(estimate="100000.00")
    first = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    second = deposits.create_deposit_draft(case.id, actor_id=None, amount="200.00")
    db.session.commit()
    return first.id, second.id


def last_number() -> int:
    db.session.expire_all()
    return db.session.scalar(select(NumberSeries.last_number).where(NumberSeries.series == "INV")) or 0


def issue_refused_cleanly(client, draft_id: int, archive: Path, caplog, reason: str) -> None:
    """Press "Issue" while the archive cannot take the PDF: a clean refusal, nothing issued, nothing left behind."""
    before = files_in(archive) if os.access(archive, os.R_OK) else None
    with caplog.at_level(logging.ERROR):
        response = client.post(f"/invoices/{draft_id}/issue", data={"version": "1"})
    page = text(response)
    assert response.status_code == 503, page[:2000]
    assert "Traceback" not in page and "Something went wrong" not in page
    assert "The archive cannot store INV-" in page and "nothing was issued" in page
    assert reason in page, page[:3000]
    assert "Ask an administrator to check the archive" in page
    db.session.expire_all()
    invoice = db.session.get(Invoice, draft_id)
    assert (invoice.status, invoice.number, invoice.pdf_filename, invoice.version) == ("draft", None, None, 1)
    assert last_number() == 1  # number 2 was given back
    assert db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.number.is_not(None))) == 1
    if before is not None:
        assert files_in(archive) == before  # no partial PDF, no temporary file
    logged = [record.getMessage() for record in caplog.records if "archive refused" in record.getMessage()]
    assert logged and reason.lower() in logged[0].lower(), caplog.text


def issue_succeeds_with_the_same_number(client, draft_id: int, archive: Path, year: str) -> None:
    response = client.post(f"/invoices/{draft_id}/issue", data={"version": "1"})
    assert response.status_code == 302, text(response)[:2000]
    db.session.expire_all()
    invoice = db.session.get(Invoice, draft_id)
    assert invoice.number == f"INV-{year}-00002"
    assert (archive / invoice.pdf_filename).is_file() and invoice.pdf_filename.startswith(f"{year}/")
    assert not [name for name in files_in(archive) if ".issuing-" in name]


def issue_first(first_id: int) -> None:
    issuing.issue_invoice(first_id, actor_id=None)
    db.session.commit()
    assert last_number() == 1


# ---------------------------------------------------------------------------------------------- the conditions


def test_a_file_where_the_years_folder_should_be_refuses_the_issue_cleanly(as_role, archive, year, drafts, caplog):
    first_id, draft_id = drafts
    issue_first(first_id)
    shutil.move(archive / year, archive / "moved-away")
    (archive / year).write_text("not a folder")  # e.g. a botched restore
    client = as_role("finance")
    issue_refused_cleanly(client, draft_id, archive, caplog, "File exists")
    (archive / year).unlink()
    issue_succeeds_with_the_same_number(client, draft_id, archive, year)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[str]:
    """Make `folder` unwritable for this process, for real; yields the reason the kernel gives."""
    if not ROOT:
        folder.chmod(0o555)
        try:
            yield "Permission denied"
        finally:
            folder.chmod(0o755)
        return
    bound = run("mount", "--bind", str(folder), str(folder))
    if bound.returncode != 0:
        pytest.skip(f"running as root, and bind mounts are not permitted here: {bound.stderr.strip()}")
    try:
        remounted = run("mount", "-o", "remount,ro,bind", str(folder))
        if remounted.returncode != 0:
            pytest.skip(f"running as root, and read-only remounts are not permitted here: {remounted.stderr.strip()}")
        yield "Read-only file system"
    finally:
        run("umount", str(folder))


def test_a_read_only_archive_refuses_the_issue_cleanly(as_role, archive, year, drafts, caplog):
    first_id, draft_id = drafts
    issue_first(first_id)
    client = as_role("finance")
    with read_only(archive / year) as reason:
        issue_refused_cleanly(client, draft_id, archive, caplog, reason)
    issue_succeeds_with_the_same_number(client, draft_id, archive, year)


def test_an_immutable_years_folder_refuses_the_issue_cleanly(as_role, archive, year, drafts, caplog):
    if not ROOT:
        pytest.skip("only root may set the immutable flag (chattr +i); the read-only test covers other users")
    first_id, draft_id = drafts
    issue_first(first_id)
    folder = archive / year
    made = run("chattr", "+i", str(folder))
    if made.returncode != 0:
        pytest.skip(f"chattr +i is not available here: {(made.stderr or made.stdout).strip()}")
    client = as_role("finance")
    try:
        issue_refused_cleanly(client, draft_id, archive, caplog, "Operation not permitted")
    finally:
        run("chattr", "-i", str(folder))
    issue_succeeds_with_the_same_number(client, draft_id, archive, year)


@contextlib.contextmanager
def full_disk(folder: Path) -> Iterator[Path]:
    """A small tmpfs at `folder`, filled to the last byte; yields the filler (delete it to make room again)."""
    if not ROOT:
        pytest.skip("a full disk is simulated with a small tmpfs, which needs root to mount")
    mounted = run("mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"running as root, but mounting a tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        filler = folder / "filler.bin"
        with open(filler, "wb", buffering=0) as handle:  # unbuffered: nothing left to flush at close
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
        yield filler
    finally:
        unmounted = run("umount", str(folder))
        if unmounted.returncode != 0:
            run("umount", "-l", str(folder))


def test_a_full_disk_refuses_the_issue_cleanly(as_role, archive, year, drafts, caplog):
    first_id, draft_id = drafts
    issue_first(first_id)
    client = as_role("finance")
    with full_disk(archive / year) as filler:
        assert shutil.disk_usage(filler.parent).free == 0
        issue_refused_cleanly(client, draft_id, archive, caplog, "No space left on device")
        assert files_in(archive / year) == ["filler.bin"]  # the temporary file of the failed write is gone
        filler.unlink()  # an administrator makes room
        issue_succeeds_with_the_same_number(client, draft_id, archive, year)
