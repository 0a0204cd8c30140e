"""Malformed e-invoices for the bill upload and `flask bills audit`: the hostile files of tests/billing (XXE, billion
laughs, wrong root, a PDF without XML ...), and the sample UBL, CII and ZUGFeRD PDF cut short, with bytes flipped, an
element renamed, or their embedded XML swapped for a hostile one."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.billing.einvoice_files import SAMPLES, XXE, hostile_files, pdf_with

SAMPLE_NAMES = ("bill-ubl.xml", "bill-cii.xml", "bill-zugferd.pdf")


@st.composite
def malformed_einvoice(draw) -> tuple[bytes, str]:
    """(content, description) of a broken or hostile e-invoice."""
    way = draw(st.integers(0, 5))
    if way == 0:
        name = draw(st.sampled_from(sorted(hostile_files())))
        return hostile_files()[name][0], f"e-invoice: {name}"
    sample = draw(st.sampled_from(SAMPLE_NAMES))
    data = (SAMPLES / sample).read_bytes()
    if way == 1:
        cut = draw(st.integers(0, len(data) - 1))
        return data[:cut], f"{sample} cut at byte {cut}"
    if way == 2:
        flipped = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(flipped) - 1))
            flipped[at] = draw(st.integers(0, 255))
        return bytes(flipped), f"{sample} with bytes flipped"
    if way == 3 and sample != "bill-zugferd.pdf":
        old = draw(st.sampled_from((b"LineTotalAmount", b"BilledQuantity", b"InvoicedQuantity", b"ID>", b"IssueDate")))
        return data.replace(old, b"Renamed" + old, draw(st.integers(1, 3))), f"{sample}: {old!r} renamed"
    if way == 4:
        return pdf_with("factur-x.xml", draw(st.sampled_from((XXE, b"", b"<x/>", data[:500])))), "PDF with bad XML"
    return data.replace(b"DE811234567", b"DE000000000"), f"{sample} of another seller"
