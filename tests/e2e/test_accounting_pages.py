"""Finance exports a month for the tax adviser in a real browser: the period's preview, the export, its page and
file, and the VAT table with a row changed."""

from __future__ import annotations

from tests.e2e.conftest import Browse


def test_finance_exports_a_month_for_the_tax_adviser_and_keeps_the_vat_table(browse: Browse):
    page = browse.page
    browse.login("finance")
    browse.go("/")
    page.get_by_role("link", name="Accounting").click()
    page.wait_for_load_state()
    browse.shot("exports-default-period")
    page.fill("input[name=from]", "2026-01-01")
    page.fill("input[name=to]", "2026-12-31")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    browse.shot("preview-of-the-year")
    export = page.get_by_role("button", name="Export")
    if export.count():
        export.click()
        page.wait_for_load_state()
        assert "exported" in browse.flash()
        browse.shot("the-export-and-what-it-carried")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").first.click()
        assert download.value.suggested_filename.startswith("EXTF_Buchungsstapel_20260101_20261231_")
    browse.go("/accounting/vat")
    row = page.locator("#vat-hotel")
    row.locator("select").select_option("standard")
    row.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Hotel accommodation now carries: Standard rate." in browse.flash()
    browse.shot("vat-table-after-a-change")
