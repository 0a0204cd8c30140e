"""`flask storage check | verify | move`, on both backends against a real S3 API server: verify finds every file that
changed or went missing and audits the run; a move to the bucket and back keeps every byte and hash, leaves no
record naming a place without the file, goes on where an interrupted run stopped, and never moves a file that
differs from its record."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.storage import files, verifying
from backoffice.storage.models import StoredFile
from backoffice.trail import AuditEvent
from tests.helpers import change_settings
from tests.servers import free_port
from tests.storage.broken_stores import broken_stores, store_going_away

ROOT = Path(__file__).resolve().parents[2]


def storage_command(app, *args: str):
    result = app.test_cli_runner().invoke(args=["storage", *args])
    db.session.expire_all()
    return result


def store_files(count: int, *, size: int = 200, first: int = 0) -> list[StoredFile]:
    """`count` files, every other one an issued invoice (locked), the others case documents; committed."""
    rows = []
    for number in range(first, first + count):
        data = os.urandom(size)
        if number % 2:
            key, kind = f"documents/{number:032x}", "case_document"
        else:
            key, kind = f"archive/2026/INV-2026-{number:04d}.pdf", "invoice"
        rows.append(files.put(key, data, kind=kind, dated=date(2026, 3, 1)))
    db.session.commit()
    return rows


def store_local_files(app, monkeypatch, count: int, *, size: int = 200) -> list[StoredFile]:
    """Files stored while STORAGE_URL was still empty (as before the bucket), then STORAGE_URL set again."""
    bucket_url = app.extensions["settings"].storage_url
    change_settings(monkeypatch, app, storage_url="")
    rows = store_files(count, size=size)
    change_settings(monkeypatch, app, storage_url=bucket_url)
    return rows


def contents(rows: list[StoredFile]) -> dict[str, bytes]:
    return {row.key: files.read(row.key, row.sha256) for row in rows}


def bucket_keys(s3, bucket: str) -> set[str]:
    return {item["Key"] for item in s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])}


def local_files(app) -> list[str]:
    current = app.extensions["settings"]
    roots = (current.invoice_archive, current.case_documents_dir)
    return sorted(name for root in roots for _, _, names in os.walk(root) for name in names)


def test_verify_finds_a_changed_file_and_a_missing_one_exits_1_and_audits_the_counts(app, storage):
    changed, missing, kept = store_files(3)
    files.backend().put(changed.key, b"%PDF-1.7 forged", retain_until=None)  # behind the app's back
    files.backend().delete(missing.key)  # a case document: no lock

    result = storage_command(app, "verify")

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("differs") and changed.key in line for line in lines), result.output
    assert any(line.startswith("missing") and missing.key in line for line in lines), result.output
    assert kept.key not in result.output
    assert "3 files checked (600 bytes): 1 ok, 1 missing, 1 differing, 0 unreachable" in result.output
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "storage_verified"))
    assert event.details == {"checked": 3, "bytes": 600, "ok": 1, "missing": 1, "differing": 1, "unreachable": 0}


def test_verify_of_files_as_recorded_exits_0_and_skips_deleted_ones(app, storage):
    kept, gone = store_files(2)
    files.delete(gone.key, today=date(2026, 3, 2))  # a case document: its bytes deleted, its record kept
    db.session.commit()

    result = storage_command(app, "verify")

    assert result.exit_code == 0, result.output
    assert "1 files checked (200 bytes): 1 ok, 0 missing, 0 differing, 0 unreachable" in result.output
    assert kept.key not in result.output


def test_verify_reads_the_records_in_batches_so_its_queries_do_not_grow_with_the_files(
    app, local_storage, count_queries
):
    store_files(3)
    with count_queries() as few:
        verifying.verify(batch_size=100)
    store_files(30, first=3)
    with count_queries() as many:
        verifying.verify(batch_size=100)

    assert len(many) == len(few), many


def test_verify_names_a_store_that_does_not_answer_and_tries_it_once(app, s3_storage, monkeypatch):
    store_files(4)
    change_settings(monkeypatch, app, s3_endpoint_url=f"http://127.0.0.1:{free_port()}", storage_timeout_seconds=1)

    result = storage_command(app, "verify")

    assert result.exit_code == 1
    assert result.output.count("unreachable  ") == 4 and "did not answer" in result.output, result.output
    assert "4 files checked (800 bytes): 0 ok, 0 missing, 0 differing, 4 unreachable" in result.output


def test_a_move_to_the_bucket_and_back_keeps_every_byte_and_hash_and_the_lock_of_each_kind(
    app, s3_storage, s3, monkeypatch
):
    rows = store_local_files(app, monkeypatch, 4)
    before = contents(rows)

    to_bucket = storage_command(app, "move", "--to", "s3")

    assert to_bucket.exit_code == 0, to_bucket.output
    assert "4 files (800 bytes) moved to s3, 0 not moved." in to_bucket.output
    assert {row.location for row in rows} == {"s3"} and local_files(app) == []
    assert bucket_keys(s3, s3_storage) == {f"office/{key}" for key in before}
    invoice = s3.client().head_object(Bucket=s3_storage, Key=f"office/{rows[0].key}")
    document = s3.client().head_object(Bucket=s3_storage, Key=f"office/{rows[1].key}")
    assert invoice["ObjectLockMode"] == "COMPLIANCE" and "ObjectLockMode" not in document
    assert contents(rows) == before

    back = storage_command(app, "move", "--to", "local")

    assert back.exit_code == 0, back.output
    assert {row.location for row in rows} == {"local"} and len(local_files(app)) == 4
    assert contents(rows) == before
    assert back.output.count("stays in s3 under its retention lock") == 2  # the two invoices; Object Lock holds
    assert bucket_keys(s3, s3_storage) == {f"office/{rows[0].key}", f"office/{rows[2].key}"}
    assert "empty STORAGE_URL so that new files go there too" in back.output
    assert storage_command(app, "verify").exit_code == 0


def test_a_move_stopped_by_its_limit_goes_on_where_it_stopped(app, s3_storage, s3, monkeypatch):
    rows = store_local_files(app, monkeypatch, 5)
    before = contents(rows)

    first = storage_command(app, "move", "--to", "s3", "--limit", "2")

    assert first.exit_code == 1 and "3 files are not in s3 yet: run the command again" in first.output
    assert [row.location for row in rows] == ["s3", "s3", "local", "local", "local"]
    second = storage_command(app, "move", "--to", "s3")
    assert second.exit_code == 0, second.output
    assert second.output.count("moved       ") == 3
    assert {row.location for row in rows} == {"s3"} and local_files(app) == [] and contents(rows) == before


def test_a_move_cut_off_by_the_store_going_away_records_nothing_in_the_wrong_place_and_goes_on(
    app, s3_storage, s3, monkeypatch
):
    rows = store_local_files(app, monkeypatch, 10, size=20_000)
    before = contents(rows)

    with store_going_away(s3, after_bytes=90_000) as endpoint:
        change_settings(monkeypatch, app, s3_endpoint_url=endpoint, storage_timeout_seconds=2)
        cut = storage_command(app, "move", "--to", "s3")

    assert cut.exit_code == 1 and "run the same command again to go on" in cut.output, cut.output
    moved = [row for row in rows if row.location == "s3"]
    assert 0 < len(moved) < 10, cut.output
    change_settings(monkeypatch, app, s3_endpoint_url=s3.endpoint)
    assert storage_command(app, "verify").exit_code == 0  # every record names a store holding its bytes
    again = storage_command(app, "move", "--to", "s3")
    assert again.exit_code == 0, again.output
    assert {row.location for row in rows} == {"s3"} and local_files(app) == [] and contents(rows) == before
    assert bucket_keys(s3, s3_storage) == {f"office/{key}" for key in before}


def test_a_file_that_differs_from_its_record_is_not_moved_and_is_reported(app, s3_storage, monkeypatch):
    changed, other = store_local_files(app, monkeypatch, 2)
    files.local_backend().put(changed.key, b"%PDF-1.7 forged", retain_until=None)

    result = storage_command(app, "move", "--to", "s3")

    assert result.exit_code == 1
    assert f"refused     {changed.key}  (differs from its record in local: not moved)" in result.output
    assert (changed.location, other.location) == ("local", "s3")
    assert files.local_backend().get(changed.key) == b"%PDF-1.7 forged"  # left as found, for someone to look at


def test_a_dry_run_lists_what_would_move_and_moves_nothing(app, s3_storage, s3, monkeypatch):
    rows = store_local_files(app, monkeypatch, 3)

    result = storage_command(app, "move", "--to", "s3", "--dry-run")

    assert result.exit_code == 0
    assert result.output.count("would move  ") == 3 and "3 files (600 bytes) would move to s3." in result.output
    assert {row.location for row in rows} == {"local"} and bucket_keys(s3, s3_storage) == set()


def test_a_move_to_the_bucket_needs_storage_url_and_one_to_a_missing_bucket_moves_nothing(app, s3, monkeypatch):
    change_settings(monkeypatch, app, storage_url="", s3_endpoint_url=s3.endpoint)
    rows = store_files(2)

    unset = storage_command(app, "move", "--to", "s3")
    change_settings(monkeypatch, app, storage_url="s3://no-such-bucket/x")
    missing = storage_command(app, "move", "--to", "s3")

    assert unset.exit_code == 1 and "STORAGE_URL is empty" in unset.output
    assert missing.exit_code == 1 and "the bucket does not exist" in missing.output
    assert {row.location for row in rows} == {"local"}


def test_check_names_a_missing_bucket_refused_credentials_and_an_unreachable_endpoint(app, s3, monkeypatch):
    with broken_stores(s3) as cases:
        for expected, changes in cases.items():
            change_settings(monkeypatch, app, storage_timeout_seconds=1, **changes)
            result = storage_command(app, "check")
            assert result.exit_code == 1 and expected in result.output, (expected, result.output)
    bucket = s3.new_bucket("backoffice-check")
    change_settings(monkeypatch, app, storage_url=f"s3://{bucket}/demo", s3_endpoint_url=s3.endpoint)
    assert (
        storage_command(app, "check").output == f"Files: s3://{bucket}/demo/ at {s3.endpoint} (bucket {bucket}): ok\n"
    )


def test_make_run_with_a_missing_bucket_stops_at_the_start_and_says_so(s3, tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL")}
    env.update(
        INSTANCE_PATH=str(tmp_path),
        INVOICE_ARCHIVE=str(tmp_path / "invoices"),
        CASE_DOCUMENTS_DIR=str(tmp_path / "documents"),
        STORAGE_URL="s3://no-such-bucket/demo",
        S3_ENDPOINT_URL=s3.endpoint,
        PORT=str(free_port()),
        MAKEFLAGS="",
    )
    run = subprocess.run(
        ["make", "--no-print-directory", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert run.returncode != 0
    assert f"Files: s3://no-such-bucket/demo/ at {s3.endpoint} is not usable: the bucket does not exist" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert not (tmp_path / "backoffice.db").exists()  # stopped before the database and the demo data
