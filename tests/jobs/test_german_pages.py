"""A German-speaking administrator reads the jobs page and requeues in German."""

from __future__ import annotations

import pytest

from tests.helpers import page_text

pytestmark = pytest.mark.usefixtures("empty_redis")


def test_a_german_speaking_administrator_sees_the_jobs_page_in_german(as_german):
    client = as_german("admin")

    response = client.get("/admin/jobs")
    page = page_text(response)
    assert response.status_code == 200 and '<html lang="de"' in page
    assert "<h1>Hintergrundaufgaben</h1>" in page and "Postausgang" in page and "Kein Job ist fehlgeschlagen." in page
    assert "Nichts wartet: Jeder bisher festgehaltene Job ist gelaufen." in page

    refused = client.post("/admin/jobs/outbox/999/requeue")
    assert refused.status_code == 404
    assert "Diesen Job gibt es im Postausgang nicht." in page_text(refused)
