"""Lists fit the window they are read in: a coordinator's case list at 1280 and 1024 px, the admin's audit log, and a
patient's invoices on a phone (390 px). The page scrolls down, never sideways: the document is no wider than the
window, and no table is wider than its card (a column past the edge is a column nobody reads, and on a phone the
amount left to pay and the PDF were the columns cut off).
"""

from __future__ import annotations

import re

from tests.e2e.conftest import Browse
from tests.e2e.test_finance_layout import OVERFLOWING

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, document.body.scrollWidth]"


def overflow_at(browse: Browse, path: str, width: int, name: str) -> list[str]:
    """What is wider than its box on `path` in a window `width` px wide (and a screenshot of it)."""
    browse.page.set_viewport_size({"width": width, "height": 900})
    browse.go(path)
    browse.shot(f"{name}-{width}")
    found = [f"the page ({w} px wide)" for w in browse.page.evaluate(PAGE_WIDTH) if w > width]
    return found + browse.page.evaluate(OVERFLOWING)


def fully_in_window(browse: Browse, locator) -> bool:
    box = locator.bounding_box()
    width = browse.page.viewport_size["width"]
    return bool(box) and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_case_list_fits_1280_and_1024_px_windows_without_a_sideways_scroll(browse: Browse):
    browse.login("coordinator")
    problems = {}
    for path in ("/cases/", "/cases/?sort=due&dir=asc", "/cases/?state=open"):
        for width in (1280, 1024):
            found = overflow_at(browse, path, width, "cases")
            assert browse.page.locator("table").count(), f"{path} lists no case"
            headers = browse.page.locator("table thead th")
            due = headers.filter(has_text=re.compile(r"^\s*Due"))
            assert fully_in_window(browse, due), f"the Due column is past the edge of {path} at {width} px"
            topbar = browse.page.locator(".topbar").bounding_box()
            assert topbar and topbar["width"] >= width - 1, f"the top bar stops short of the window at {width} px"
            if found:
                problems[f"{path} @ {width}"] = found
    assert not problems, f"wider than the window or their card: {problems}"


def test_audit_log_fits_the_window_and_says_which_zone_its_times_are_in(browse: Browse):
    browse.login("coordinator")
    browse.go("/cases/")
    case_path = browse.page.locator("table tbody a[href^='/cases/']").first.get_attribute("href")
    case_id = re.search(r"/cases/(\d+)", case_path or "").group(1)
    browse.go(case_path)  # the coordinator's reading of the case is in its access history
    browse.page.context.clear_cookies()
    browse.login("admin")
    problems = {}
    for path in ("/admin/audit/", f"/admin/audit/cases/{case_id}"):
        for width in (1280, 1024):
            found = overflow_at(browse, path, width, "audit")
            if found:
                problems[f"{path} @ {width}"] = found
        header = browse.page.locator("table thead th").first.text_content().strip()
        first_time = browse.page.locator("table tbody tr td").first.text_content().strip()
        # The demo operator works in Berlin: the header names that zone, the times carry its abbreviation.
        assert header == "When (Europe/Berlin time)" and re.search(r" CES?T$", first_time), (header, first_time)
    assert not problems, f"wider than the window or their card: {problems}"


def test_patient_reads_their_invoices_on_a_phone_without_a_sideways_scroll(browse: Browse):
    browse.login("patient", email="patient@demo.test")
    problems = {}
    found = overflow_at(browse, "/portal/", 390, "portal")
    if found:
        problems["/portal/"] = found
    found = overflow_at(browse, "/portal/invoices", 390, "portal-invoices")
    if found:
        problems["/portal/invoices"] = found
    page = browse.page
    rows = page.locator("table tbody tr")
    assert rows.count(), "the demo patient has no invoice listed"
    for row in rows.all():
        for label in ("Total", "Left to pay", "Status"):
            cell = row.locator(f"td[data-label='{label}']")
            assert cell.count() == 1 and fully_in_window(browse, cell), f"{label} is not on screen"
            assert cell.inner_text().strip(), f"{label} is empty"
            shown_label = cell.evaluate("td => getComputedStyle(td, '::before').content")
            assert shown_label == f'"{label}"', f"{label} has no label on a phone: {shown_label}"
        assert re.search(r"\d", row.locator("td[data-label='Total']").inner_text())
        link = row.get_by_role("link", name=re.compile(r"Download .*\.pdf"))
        assert fully_in_window(browse, link), "the PDF link is not on screen"
    assert not problems, f"wider than the phone's screen or their card: {problems}"
    page.set_viewport_size({"width": 1280, "height": 900})
