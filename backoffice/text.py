"""What a text a person typed may hold once stored: no control characters, and no bidi overrides in a one-line field.

Every text typed in is shown again somewhere else: on a page, in a PDF, an .ics file, a CSV, a download's name. A
line break in a name breaks an .ics line or a header; an escape sequence or a NUL breaks a terminal or PostgreSQL;
a right-to-left override makes `gnp.exe` read as `exe.png`. So text is cleaned once, where it comes in (every form
field through `backoffice.forms.FlaskForm`, the CSV and command-line imports), by these two functions.
"""

from __future__ import annotations

import re
import unicodedata

# Explicit bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069): they turn the text after them around.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Every way of ending a line: CR LF, CR, LF, VT, FF, the file/group/record separators, NEL, LS, PS.
LINE_BREAK = re.compile("\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _without_controls(value: str, keep: str = "") -> str:
    return "".join(ch for ch in value if ch in keep or unicodedata.category(ch) != "Cc")


def clean_line(value: str) -> str:
    """A one-line text (a name, a reference): each line break and tab becomes a space; other control characters
    (C0, DEL, C1) and bidi overrides are removed."""
    value = LINE_BREAK.sub(" ", value).replace("\t", " ")
    return "".join(ch for ch in _without_controls(value) if ch not in BIDI_CONTROLS)


def clean_text(value: str) -> str:
    """A multi-line text (notes, a message): line breaks become `\\n` and tabs stay; other control characters go.
    Bidi overrides stay, as a line or paragraph ends their effect."""
    return _without_controls(LINE_BREAK.sub("\n", value), keep="\n\t")
