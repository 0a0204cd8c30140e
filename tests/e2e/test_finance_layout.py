"""Finance's wide pages fit the window: the hospital bill (twelve columns of lines, with the Reason and Decision
columns last) and a case's invoices (the Account table of six amounts). Nothing in their tables may need a sideways
scroll at 1280 px, nor at 1024 px where each bill line takes two rows: a scrollbar under a hundred lines is out of
sight, and a column past it is a column nobody reads.

The check runs in the page: within the card of each table, no element is wider inside than its box
(`scrollWidth > clientWidth`), which catches a card that scrolls as well as a cell its buttons spill out of.
"""

from __future__ import annotations

import re

from tests.e2e.conftest import Browse
from tests.tools.evidence import record

WIDTHS = (1280, 1024)

OVERFLOWING = """() => {
  const found = new Set();
  for (const table of document.querySelectorAll('main table, .content table')) {
    const card = table.closest('section, .card') || table.parentElement;
    for (const el of [card, ...card.querySelectorAll('*')]) {
      if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth) {
        const classes = typeof el.className === 'string' ? el.className.trim().split(/\\s+/).filter(Boolean) : [];
        const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes.map(c => '.' + c).join('');
        found.add(`${name} (${el.scrollWidth} px wide in ${el.clientWidth} px)`);
      }
    }
  }
  return [...found];
}"""


def overflowing(browse: Browse, path: str, name: str) -> dict[int, list[str]]:
    """What overflows in the tables' cards of `path`, per window width (a screenshot of each)."""
    found = {}
    for width in WIDTHS:
        browse.page.set_viewport_size({"width": width, "height": 900})
        browse.go(path)
        assert browse.page.locator("table").count(), f"{path} shows no table at all"
        browse.shot(f"{name}-{width}")
        found[width] = browse.page.evaluate(OVERFLOWING)
    browse.page.set_viewport_size({"width": 1280, "height": 900})
    return found


def test_bill_and_case_invoice_tables_fit_the_window_without_a_sideways_scroll(browse: Browse):
    page = browse.page
    browse.login("finance")
    checked: dict[str, dict[int, list[str]]] = {}

    # The demo's bill with findings, as received, then under review (every line gets a reason field and two buttons).
    browse.go("/billing/bills")
    bill_path = page.get_by_role("link", name=re.compile(r"^ABM-\d{4}-0815$")).first.get_attribute("href")
    assert bill_path, "the demo bill ABM-…-0815 is not listed"
    checked[f"{bill_path} (as it is)"] = overflowing(browse, bill_path, "bill")
    start = page.get_by_role("button", name="Start the review")
    if start.count() and start.is_enabled():
        start.click()
        page.wait_for_load_state()
    assert page.locator("#lines button", has_text="Dispute").count(), "the bill's lines offer no decision buttons"
    headers = page.locator("#lines thead th").all_inner_texts()
    assert [h.strip().lower() for h in headers[-2:]] == ["reason", "decision"], headers
    checked[f"{bill_path} (under review)"] = overflowing(browse, bill_path, "bill-under-review")
    for width in WIDTHS:  # the last columns are on screen, not past the card's edge
        page.set_viewport_size({"width": width, "height": 900})
        browse.go(bill_path)
        card = page.locator("#lines").bounding_box()
        for button in page.locator("#lines button", has_text="Dispute").all()[:3]:
            box = button.bounding_box()
            assert box and card and box["x"] + box["width"] <= card["x"] + card["width"], f"Dispute cut off at {width}"
    page.set_viewport_size({"width": 1280, "height": 900})

    # Every case that has invoices: the Account table and the invoices table.
    browse.go("/invoices")
    links = page.locator("a[href^='/cases/'][href$='/invoices']")
    case_paths = sorted(set(links.evaluate_all("links => links.map(a => a.getAttribute('href'))")))
    assert case_paths, "no case with invoices in the list"
    for path in case_paths:
        checked[path] = overflowing(browse, path, "case-invoices")
        if page.locator("#account", has_text="Nothing issued yet.").count():
            # listed for the deposit draft its accepted offer made: no account before an invoice is issued
            drafts = page.locator("#invoices tbody tr")
            assert drafts.count() and drafts.filter(has_not_text="Draft").count() == 0, path
        else:
            assert page.locator("#account table th", has_text="Refund due").count() == 1, path

    record(
        "finance-layout",
        {
            "title": "Finance pages fit the window (bill lines, a case's invoices)",
            "window_widths_px": list(WIDTHS),
            "pages_checked": len(checked),
            "overflowing_elements": sum(len(found) for widths in checked.values() for found in widths.values()),
        },
        command=".venv/bin/python -m pytest -q tests/e2e/test_finance_layout.py",
    )
    problems = {page: widths for page, widths in checked.items() if any(widths.values())}
    print(f"\nfinance layout: {len(checked)} pages at {WIDTHS} px, {len(problems)} with a table wider than its card")
    assert not problems, f"tables wider than their card: {problems}"
