"""`/healthz` names the file store's state beside the database's and Redis': "ok", or what is wrong (bucket missing,
credentials refused, endpoint unreachable, a store that hangs), answered within the storage timeout, with a 503."""

from __future__ import annotations

import socket
import time

from tests.helpers import change_settings
from tests.storage.broken_stores import broken_stores


def test_healthz_says_the_file_store_is_ok_on_either_backend(client, storage):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok", "storage": "ok"}


def test_healthz_names_a_missing_bucket_refused_credentials_and_an_unreachable_endpoint_with_a_503(
    app, client, s3, monkeypatch
):
    with broken_stores(s3) as cases:
        for expected, changes in cases.items():
            change_settings(monkeypatch, app, storage_timeout_seconds=1, **changes)
            response = client.get("/healthz")
            assert response.status_code == 503, expected
            assert response.get_json() == {"status": "failing", "database": "ok", "redis": "ok", "storage": expected}


def test_healthz_gives_up_on_a_store_that_hangs_within_the_storage_timeout(app, client, monkeypatch):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # takes connections, never answers
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        change_settings(monkeypatch, app, storage_url="s3://b", s3_endpoint_url=endpoint, storage_timeout_seconds=1)
        started = time.monotonic()
        response = client.get("/healthz")
        took = time.monotonic() - started

    assert response.status_code == 503
    assert response.get_json()["storage"] == "the endpoint did not answer within 1 s"
    assert took < 2.5


def test_healthz_says_a_local_folder_cannot_be_written_and_the_log_names_it(app, client, monkeypatch, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    change_settings(monkeypatch, app, storage_url="", invoice_archive=str(blocked / "invoices"))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["storage"] == "a local folder cannot be written (the log names it)"
    assert f"archive folder {blocked / 'invoices'}" in caplog.text
