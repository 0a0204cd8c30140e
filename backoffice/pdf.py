"""The one PDF renderer of the app (invoices, itineraries, dispute letters): a Jinja template rendered to PDF by
WeasyPrint, offline.

WeasyPrint fetches what a document links to (stylesheets, images, fonts) through a URL fetcher. Ours serves files
from the project's static folder and `data:` URLs only, and refuses everything else (any other file, http(s), ftp),
so nothing in a patient's name or a supplier's note can make the renderer read a file of the server or call out.

Names and addresses come in any script: the stylesheets in static/pdf name a font for each (the Noto fonts `make
system-deps` installs, found through fontconfig), and text that may run right to left sits in an element with
`dir="auto"` or in a `<bdi>`, which WeasyPrint does not resolve itself: `resolve_auto_directions` gives each the
direction of its first strong letter, as a browser does, before the layout.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, get_locale, gettext
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from backoffice.languages import direction

log = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """The renderer may not fetch this URL."""


class StaticFilesOnly(URLFetcher):
    """A WeasyPrint URL fetcher (the `URLFetcher` subclass API of WeasyPrint 68+) serving only `root` and data:."""

    def __init__(self, root: Path | str):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
        self.root = Path(root).resolve()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)  # decoded in memory by urllib's data: handler
        if scheme == "file":
            path = self._static_path(url)
            body = path.read_bytes()
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path2url(str(path)), body, {"Content-Type": content_type})
        log.warning("PDF rendering refused to fetch %s", url[:200])
        raise RefusedURL(f"the PDF renderer only reads the app's static files, not {url[:200]!r}")

    def _static_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"the PDF renderer does not read files from other hosts: {url[:200]!r}")
        path = Path(unquote(parts.path)).resolve()  # resolves '..' and symbolic links
        if not path.is_relative_to(self.root) or not path.is_file():
            log.warning("PDF rendering refused to read %s", path)
            raise RefusedURL(f"the PDF renderer only reads the app's static files, not {url[:200]!r}")
        return path


def static_root() -> Path:
    return Path(current_app.static_folder or Path(current_app.root_path) / "static").resolve()


def text_direction(text: str) -> str | None:
    """The direction the first strong letter of `text` gives it (Unicode's rule for a paragraph), None without one."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return None


def resolve_auto_directions(root) -> None:
    """HTML's `dir="auto"` and `<bdi>` on an element tree: the direction of the element's text, or its parent's."""
    for element in root.iter():
        if element.get("dir", "").lower() == "auto" or (element.tag == "bdi" and "dir" not in element.attrib):
            direction = text_direction("".join(element.itertext()))
            if direction:
                element.set("dir", direction)
            else:
                element.attrib.pop("dir", None)


def render_pdf(template_name: str, *, language: str | None = None, pdf_variant: str | None = None, **context) -> bytes:
    """The PDF of `template_name` rendered with `context`; relative links resolve in the static folder.

    With a `language` (a document made for a patient), its text, days and amounts are in that language whatever the
    page's, and the template gets `document_language` and `document_direction` for its `lang` and `dir`. A
    `pdf_variant` is WeasyPrint's ("pdf/a-3b": an archival PDF that may carry attachments, as an issued invoice)."""
    if language is None:
        return _write(render_template(template_name, **context), pdf_variant)
    with force_locale(language):
        html = render_template(template_name, **document_context(language), **context)
    return _write(html, pdf_variant)


def document_context(language: str) -> dict:
    """What a template in `language` gets beside its data (call it under `force_locale(language)`): the language and
    direction for its <html>, its page margins' texts, and `isolate()` for numbers and names in right-to-left text."""
    return {
        "document_language": language,
        "document_direction": direction(language),
        "page_numbers": page_numbers(),
        "css_string": css_string,
        "isolate": isolate,
    }


def isolate(text: str) -> str:
    """`text` (a phone number, an amount, a time, a place's name) kept in one piece in its own direction inside a
    right-to-left document: in Unicode's first-strong isolate, which prints nothing. Beside Arabic, "+49 69 1234"
    would otherwise read "1234 69 49+", and "Dubai → Frankfurt am Main" would point the wrong way. Unchanged in a
    left-to-right document."""
    if not text or direction(str(get_locale() or "")) != "rtl":
        return text
    return f"\u2068{text}\u2069"


def css_string(text: str) -> Markup:
    """`text` as a CSS string for a `content:` in the template's <style> (a raw-text element: no HTML escaping
    there, so quotes, backslashes and "<" are escaped the CSS way)."""
    escaped = text.replace("\\", "\\\\").replace('"', "\\22 ").replace("<", "\\3c ")
    escaped = " ".join(escaped.splitlines())  # a line break ends a CSS string: any kind of one becomes a space
    return Markup(f'"{escaped}"')  # noqa: S704  # nosec B704 - escaped for CSS above: nothing closes the string


def page_numbers() -> Markup:
    """'"Page " counter(page) " of " counter(pages)' in the document's language, for a page's margin box."""
    text = gettext("Page %(page)s of %(pages)s", page="\x00", pages="\x01")
    counters = {"\x00": "counter(page)", "\x01": "counter(pages)"}
    parts = [counters.get(piece) or css_string(piece) for piece in re.split("([\x00\x01])", text) if piece]
    return Markup(" ".join(parts))  # noqa: S704  # nosec B704 - CSS strings escaped by css_string, counter() calls


def _write(html: str, pdf_variant: str | None = None) -> bytes:
    root = static_root()
    # path2url of a folder ends in "/", so "pdf/itinerary.css" resolves inside it.
    document = HTML(string=html, base_url=path2url(str(root)), url_fetcher=StaticFilesOnly(root))
    resolve_auto_directions(document.etree_element)
    return document.write_pdf(pdf_variant=pdf_variant) if pdf_variant else document.write_pdf()
