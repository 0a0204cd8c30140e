"""The one way a file leaves the app as a download: its name encoded per RFC 6266/5987, sandboxed, never sniffed.

A download name is built from what people typed (a bill's reference, a case number, an uploaded file's name), so it
may hold any script, a line break or a quote. HTTP headers are Latin-1 and one line: the name is sent twice, as an
ASCII fallback (`filename="..."`, for old clients) and in full as UTF-8 (`filename*=UTF-8''...`), with every
character that could end the header or the parameter left out or percent-encoded.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

from flask import Response

# A downloaded file is shown by nothing of ours: it must not run as a page of this site if a browser opens it.
DOWNLOAD_CSP = "default-src 'none'; sandbox"
# A file shown inline (a document's preview) sits in our own preview page's frame: still no script, framed by us only.
INLINE_CSP = "default-src 'none'; frame-ancestors 'self'; sandbox"
# RFC 5987 attr-char, besides letters and digits: what may stand unencoded in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ -]+")
MAX_NAME = 150  # characters of the name kept (a longer one is cut before its extension)


def _visible(name: str) -> str:
    """The name without control, format (bidi overrides) or separator characters other than the plain space."""
    chars = []
    for ch in name:
        category = unicodedata.category(ch)
        if category.startswith("Z") or ch in "\t\n\r":
            chars.append(" ")
        elif not category.startswith("C"):
            chars.append(ch)
    kept = " ".join("".join(chars).split()).strip(" .")
    stem, dot, extension = kept.rpartition(".")
    if dot and len(kept) > MAX_NAME and 0 < len(extension) <= 10:
        return stem[: MAX_NAME - len(extension) - 1] + "." + extension
    return kept[:MAX_NAME]


def ascii_fallback(name: str, default: str = "download") -> str:
    """An ASCII name for `filename=`: accents dropped (É -> E), anything else outside [A-Za-z0-9._ -] made a `_`."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = _UNSAFE_ASCII.sub("_", plain).strip("._")
    extension = Path(name).suffix
    if not plain or plain == extension.lstrip(".").strip("_"):
        ascii_extension = _UNSAFE_ASCII.sub("", extension)
        return default + (ascii_extension if ascii_extension not in ("", ".") else "")
    return plain


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment; filename="<ascii>"; filename*=UTF-8''<utf-8>` for any name (RFC 6266 section 4.3); a name that
    is plain ASCII already needs no second form."""
    name = _visible(filename) or "download"
    kind = "inline" if inline else "attachment"
    fallback = ascii_fallback(name)
    if fallback == name:
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"


def _secure(response: Response, filename: str, inline: bool) -> Response:
    response.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    response.headers["Content-Security-Policy"] = INLINE_CSP if inline else DOWNLOAD_CSP
    if inline:
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def download(body: bytes | str, *, mimetype: str, filename: str, inline: bool = False) -> Response:
    """A file made in memory (a PDF, an .ics, a CSV) as a download named `filename`."""
    return _secure(Response(body, mimetype=mimetype), filename, inline)
