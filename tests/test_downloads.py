"""The one download helper: any name, in any script, makes a valid one-line header; downloads are sandboxed."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from backoffice.downloads import DOWNLOAD_CSP, content_disposition, download

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

NAMES = [
    "dispute-СЧЁТ-2026-77.pdf",
    "itinerary-C-2026-00175.ics",
    "Ann\r\nLee.pdf",
    'quote" and \\ backslash; semicolon, comma.pdf',
    "\u202eevil\u202c gnp.exe",
    "مريم المنصوري.pdf",
    "王小明 病历.pdf",
    "Zoë 😀 👨\u200d👩\u200d👧.pdf",
    "\x00\x01\x1b[31m\x7f\x85.csv",
    "ю" * 10_000 + ".pdf",
    "",
    "..",
    "%41%0d%0a.pdf",
]


@pytest.mark.parametrize("name", NAMES, ids=range(len(NAMES)))
def test_every_download_name_survives_any_script(app, name):
    with app.test_request_context():
        response = download(b"%PDF-1.7", mimetype="application/pdf", filename=name)
    header = response.headers["Content-Disposition"]
    header.encode("ascii")  # an HTTP header is Latin-1; ours is plain ASCII
    assert "\r" not in header and "\n" not in header and len(header) < 2000
    fallback = re.fullmatch(r"attachment; filename=\"([A-Za-z0-9._ -]+)\"(?:; filename\*=UTF-8''(\S+))?", header)
    assert fallback, header
    full = unquote(fallback.group(2), errors="strict") if fallback.group(2) else fallback.group(1)
    assert not any(ch in full for ch in "\r\n\x00\x1b\x7f\x85\u202e")
    if "СЧЁТ" in name:
        assert full == "dispute-СЧЁТ-2026-77.pdf" and fallback.group(1).endswith("-2026-77.pdf")
    if name.startswith("itinerary"):
        assert fallback.group(1) == full == name  # a plain name stays as it is
    assert response.headers["Content-Security-Policy"] == DOWNLOAD_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_inline_answer_is_named_the_same_way():
    assert content_disposition("Kalender März.ics", inline=True) == (
        "inline; filename=\"Kalender Marz.ics\"; filename*=UTF-8''Kalender%20M%C3%A4rz.ics"
    )
