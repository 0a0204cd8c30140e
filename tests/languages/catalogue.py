"""The strings of the product as `make messages` extracts them, with where each is used, and the catalogues."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from backoffice.config import PROJECT_ROOT
from backoffice.languages import CATALOGUES

METHODS = [("backoffice/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
    "pgettext": ((1, "c"), 2),
}


@cache
def extracted() -> dict[str | tuple[str, str], set[str]]:
    """msgid (or (singular, plural)) -> the files that use it, extracted afresh from the tree (not from the .pot)."""
    found: dict = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), METHODS, keywords=KEYWORDS
    ):
        found.setdefault(message, set()).add(filename)
    return found


@cache
def catalogue(language: str):
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def translated(language: str, message) -> bool:
    entry = catalogue(language).get(message[0] if isinstance(message, tuple) else message)
    if entry is None or entry.fuzzy:
        return False
    strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    return all(strings)


def template_files(patterns: tuple[str, ...]) -> list[Path]:
    root = PROJECT_ROOT / "templates"
    return sorted({path for pattern in patterns for path in root.glob(pattern)})
