"""The case page a coordinator lives in, in the browser: the section menu and the side panel (next step, problems,
reminder) around a case confirmed in the demo, where a contraindication turns up late.

A late "yes" flags the case (header, problems, case list, itinerary) and stops it; typing a resolution is refused
until the physician's clearance, uploaded as such, is chosen. A document is previewed inline and removed with a
reason. The page is checked at 1280 and 1024 px: nothing overflows sideways.
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Browse
from tests.e2e.test_finance_layout import OVERFLOWING

WIDTHS = (1280, 1024)
# The whole page, not only its tables: nothing wider than the window, no element wider inside than its box.
PAGE_OVERFLOWING = """() => {
  const found = [];
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth) {
    found.push(`page (${document.documentElement.scrollWidth} px wide in ${document.documentElement.clientWidth} px)`);
  }
  for (const el of document.querySelectorAll('.case-nav, .case-side, .case-side *, .case-main > *, .page-head')) {
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') {
      found.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ` (${el.scrollWidth} in ${el.clientWidth})`);
    }
  }
  return found;
}"""


def clearance_pdf() -> bytes:
    """A real one-page letter (drawn by the project's PDF renderer), so the browser's viewer can show it."""
    from weasyprint import HTML

    return HTML(
        string="<h1>Medical clearance</h1><p>The patient is fit for the treatment. Dr. L. Brandt</p>"
    ).write_pdf()


def png(width: int = 40, height: int = 30) -> bytes:
    """A small real PNG (a red rectangle), so the browser can draw the preview."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def flashes(page: Page):
    return page.locator(".flashes")


def confirmed_case_with_screening(browse: Browse) -> tuple[str, str]:
    """A demo case in `confirmed` whose programme asks screening questions (all answered no): its path and number."""
    page = browse.page
    browse.go("/cases/?state=confirmed")
    paths = page.locator("table.table tbody tr td:first-child a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    for path in paths:
        browse.go(path)
        if page.locator("#screening input[type=radio][value=yes]:not([disabled])").count():
            return path, page.locator(".page-head h1").inner_text().split(" ")[0]
    pytest.skip("the demo has no confirmed case with screening questions")


def check_no_overflow(browse: Browse, path: str, name: str) -> None:
    found = {}
    for width in WIDTHS:
        browse.page.set_viewport_size({"width": width, "height": 900})
        browse.go(path)
        browse.shot(f"{name}-{width}")
        found[width] = browse.page.evaluate(PAGE_OVERFLOWING) + browse.page.evaluate(OVERFLOWING)
    browse.page.set_viewport_size({"width": 1280, "height": 900})
    assert found == {width: [] for width in WIDTHS}, found


def test_a_late_contraindication_flags_the_case_and_only_a_clearance_document_clears_it(browse: Browse):
    page = browse.page
    browse.login("coordinator")
    path, number = confirmed_case_with_screening(browse)
    case_id = int(re.search(r"/cases/(\d+)", path).group(1))
    expect(page.locator(".page-head [data-flag=contraindication]")).to_have_count(0)

    # The section menu and the side panel: next step, problems and the reminder are in view at the bottom too.
    nav = page.get_by_role("navigation", name="Case sections")
    for group in ("Overview", "Travel", "Documents", "Money", "History"):
        expect(nav.get_by_role("link", name=group)).to_be_visible()
    nav.get_by_role("link", name="History").click()
    expect(page.locator("#timeline")).to_be_in_viewport()
    for panel in ("Next step", "Problems", "Reminder"):
        expect(page.locator(".case-side").get_by_role("heading", name=panel)).to_be_in_viewport()
    expect(nav).to_be_in_viewport()
    browse.shot("case-page-history-in-view")
    check_no_overflow(browse, path, "case-page")

    # A "yes" after confirmation: the case is flagged in its header, its problems, the list and the itinerary.
    question_label = page.locator("#screening input[type=radio][value=yes]").first.get_attribute("aria-label")
    question = question_label.removeprefix("yes: ")
    page.get_by_label(question_label, exact=True).check()
    page.get_by_role("button", name="Save answers").click()
    expect(flashes(page)).to_contain_text("Screening saved.")
    expect(page.locator(".page-head [data-flag=contraindication]")).to_have_text("Contraindication open")
    expect(page.locator("#problems")).to_contain_text(f"Contraindication open: {question}")
    travel = page.locator("form.step", has_text="Move to Travel booked")
    expect(travel.locator(".blocker").first).to_contain_text(
        f"A contraindication is present and not resolved: {question}"
    )
    expect(page.locator("#timeline")).to_contain_text("found after confirmation")
    browse.shot("case-flagged")
    check_no_overflow(browse, path, "case-page-flagged")

    browse.go("/cases/?state=confirmed")
    row = page.locator("table.table tbody tr", has_text=number)
    expect(row.locator("[data-flag=contraindication]")).to_be_visible()
    browse.shot("case-list-flagged")
    browse.go(f"/cases/{case_id}/itinerary")
    expect(page.locator("[data-flag=contraindication]")).to_contain_text(f"Contraindication open: {question}")
    browse.shot("itinerary-flagged")

    # Typing a resolution is refused: the physician clears it.
    browse.go(path)
    resolve = page.locator("form.resolve", has_text=question)
    resolve.get_by_label("How").fill("after birth")
    resolve.get_by_label("On").fill(datetime.now(UTC).date().isoformat())
    resolve.get_by_role("button", name="Record resolution").click()
    expect(flashes(page)).to_contain_text("is cleared by the physician: upload the physician's clearance")
    expect(page.locator(".page-head [data-flag=contraindication]")).to_be_visible()
    browse.shot("typed-resolution-refused")

    # The clearance letter, uploaded as such, then chosen when resolving.
    documents = page.locator("#documents")
    documents.get_by_label("File", exact=True).set_input_files(
        {"name": "physician-clearance.pdf", "mimeType": "application/pdf", "buffer": clearance_pdf()}
    )
    documents.get_by_label("Document type").select_option(label="Physician's clearance")
    documents.get_by_role("button", name="Upload").click()
    expect(flashes(page)).to_contain_text("was added to the case's documents as a physician's clearance.")
    resolve = page.locator("form.resolve", has_text=question)
    choice = resolve.get_by_label("Physician's clearance")
    choice.select_option(choice.locator("option", has_text="physician-clearance.pdf").get_attribute("value"))
    resolve.get_by_label("How").fill("Cleared by the treating physician, letter on file")
    resolve.get_by_label("On").fill(datetime.now(UTC).date().isoformat())
    resolve.get_by_role("button", name="Record resolution").click()
    expect(flashes(page)).to_contain_text("Resolution recorded.")
    expect(page.locator(".page-head [data-flag=contraindication]")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("physician's clearance physician-clearance.pdf")
    browse.shot("cleared-by-the-physician")

    # The clearance letter is previewed inline: Chromium's PDF viewer inside the page's frame, sandboxed.
    with page.expect_response(lambda response: response.url.endswith("/inline")) as inline:
        page.locator("#documents").get_by_role("link", name="physician-clearance.pdf").click()
    headers = inline.value.all_headers()
    assert inline.value.status == 200 and headers["content-disposition"].startswith("inline"), headers
    assert "sandbox" in headers["content-security-policy"], headers
    expect(page.locator("iframe.preview-frame")).to_be_visible()
    page.wait_for_timeout(1000)  # the viewer draws the page
    browse.shot("pdf-preview")
    page.locator(".crumbs").get_by_role("link", name=number).click()

    # A scan is previewed inline (a real image, drawn by the browser), then removed with a reason.
    documents = page.locator("#documents")
    documents.get_by_label("File", exact=True).set_input_files(
        {"name": "passport-scan.png", "mimeType": "image/png", "buffer": png()}
    )
    documents.get_by_label("Document type").select_option(label="Passport or visa")
    documents.get_by_role("button", name="Upload").click()
    expect(flashes(page)).to_contain_text("as a passport or visa.")
    page.locator("#documents").get_by_role("link", name="passport-scan.png").click()
    image = page.locator("img.preview-image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 40
    browse.shot("document-preview")
    page.locator(".crumbs").get_by_role("link", name=number).click()
    row = page.locator("#documents tr", has_text="passport-scan.png")
    row.locator("summary", has_text="Remove").click()
    row.get_by_label("Why remove it").fill("Uploaded to the wrong case")
    row.get_by_role("button", name="Remove document").click()
    expect(flashes(page)).to_contain_text("“passport-scan.png” was removed from the case")
    expect(page.locator("#documents")).not_to_contain_text("passport-scan.png")
    expect(page.locator("#timeline")).to_contain_text(
        "Removed passport-scan.png (passport or visa): Uploaded to the wrong case"
    )
    browse.shot("document-removed")
