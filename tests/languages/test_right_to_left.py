"""Arabic pages mirror because the stylesheet names sides by the flow of the text (inline start and end), never by
left and right: `margin-inline-start` is the left in English and the right in Arabic. A rule written with a physical
side would keep its side in Arabic and break the mirror (the browser suite shows the pages; this finds the rule).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

STYLESHEET = Path(__file__).resolve().parents[2] / "backoffice" / "static" / "css" / "app.css"
PHYSICAL_SIDE = re.compile(
    r"(?<![\w-])(?:(?:margin|padding|border)-(?:left|right)(?:-\w+)?|left|right)\s*:"  # margin-left: ..., left: ...
    r"|(?:text-align|float|clear)\s*:\s*(?:left|right)\b"
)


def test_stylesheet_names_sides_by_the_text_flow_so_arabic_pages_mirror():
    css = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(), flags=re.DOTALL)  # comments may say "left to pay"
    rules = [line.strip() for line in css.splitlines() if PHYSICAL_SIDE.search(line)]
    assert not rules, f"name the side by the text flow (margin-inline-start, text-align: start): {rules}"


def test_the_physical_side_check_finds_a_left_or_right_rule():
    for rule in ("margin-left: 1rem", ".x { left: 0 }", "text-align: right", "border-right-color: red", "float: left"):
        assert PHYSICAL_SIDE.search(rule), rule
    for rule in ("margin-inline-start: 1rem", "inset-inline-start: 0", "text-align: end", "border-inline-end: 0"):
        assert not PHYSICAL_SIDE.search(rule), rule
