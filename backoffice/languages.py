"""The languages the product speaks, and which one a page, a mail or a document is in.

Shipped: English, German, Russian and Arabic for everything a patient or visitor sees (the request form, the portal,
every patient mail and document); English and German for the staff pages. Each is a gettext catalogue under
`backoffice/translations/<code>/LC_MESSAGES/messages.po` (README: "Adding a language"); `make translations` compiles
them, `make messages` extracts new strings into them.

A page's language is chosen, in this order (`select_locale`, Flask-Babel's locale selector):
1. the signed-in person's saved preference: a staff member's `users.language`, a patient's preferred language on
   their record (answered through `saved_preference` by the patients feature);
2. the language picked on a public page (`?lang=xx`), remembered in the session;
3. the browser's `Accept-Language`;
4. English.
Each step only offers what the audience has: a staff member never gets a half-Russian page. Mail and documents made
for a patient use `for_patient(code)`: their language when shipped, English otherwise.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from blinker import Namespace
from flask import g, has_request_context, request, session
from flask_babel import get_locale, refresh
from flask_login import current_user

PATIENT_LANGUAGES = ("en", "de", "ru", "ar")  # what a patient or visitor sees
STAFF_LANGUAGES = ("en", "de")  # the staff pages
SHIPPED = PATIENT_LANGUAGES  # every catalogue in the repository
DEFAULT = "en"
# Written right to left: pages get dir="rtl" and mirror; documents run their paragraphs right to left.
RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur", "ps", "yi"})
# The language selector's labels, each in its own language.
NATIVE_NAMES = {"en": "English", "de": "Deutsch", "ru": "Русский", "ar": "العربية"}
SESSION_KEY = "language"
CATALOGUES = Path(__file__).parent / "translations"

_signals = Namespace()
# saved_preference.send(user) -> [(receiver, "ru" | None)]: the patients feature answers for patient accounts.
saved_preference = _signals.signal("saved-language-preference")


def N_(text: str) -> str:
    """Marks `text` for the catalogues (`make messages` extracts it) where it is defined; it is translated where it is
    shown, with `_()` (a role's label, a document type)."""
    return text


def offered(*, staff: bool) -> tuple[str, ...]:
    return STAFF_LANGUAGES if staff else PATIENT_LANGUAGES


def choose(*, saved: str | None, picked: str | None, accept, offer: tuple[str, ...]) -> str:
    """The language of a page from what the person saved, picked on a public page, and their browser accepts."""
    for code in (saved, picked):
        if code in offer:
            return code
    for value, quality in accept or ():  # the browser's, most wanted first; "de-AT" is German
        language = value.replace("_", "-").split("-")[0].lower()
        if quality > 0 and language in offer:
            return language
    return DEFAULT


def select_locale() -> str:
    """Flask-Babel's locale selector (once per request; outside a request, English unless `force_locale`)."""
    if not has_request_context():
        return DEFAULT
    if "page_language" not in g:
        staff = bool(current_user and current_user.is_authenticated and current_user.is_staff)
        g.page_language = choose(
            saved=_saved_preference(),
            picked=session.get(SESSION_KEY),
            accept=request.accept_languages,
            offer=offered(staff=staff),
        )
    return g.page_language


def _saved_preference() -> str | None:
    if not (current_user and current_user.is_authenticated):
        return None
    if current_user.is_staff:
        return current_user.language
    answers = [value for _receiver, value in saved_preference.send(current_user) if value]
    return answers[0] if answers else None


def remember_picked_language() -> None:
    """Before each request: `?lang=xx` on any page picks the language for this visit (an unknown code is ignored)."""
    picked = request.args.get("lang", "")
    if picked in SHIPPED and session.get(SESSION_KEY) != picked:
        session[SESSION_KEY] = picked
        g.pop("page_language", None)


def reselect_page_language() -> None:
    """Choose the page's language again within this request, after who is signed in changed (a sign-in: what the
    view says next is in the person's saved language)."""
    g.pop("page_language", None)
    refresh()


def page_language() -> str:
    return str(get_locale() or DEFAULT)


def direction(code: str | None) -> str:
    """ "rtl" for a language written right to left, else "ltr" (HTML's dir attribute)."""
    return "rtl" if (code or "").split("_")[0] in RIGHT_TO_LEFT else "ltr"


def for_patient(code: str | None) -> str:
    """The language of a mail or document for a patient who prefers `code`: it, when shipped, else English."""
    return code if code in PATIENT_LANGUAGES else DEFAULT


def layout_context() -> dict:
    """What every page's layout needs: its language, direction, and the selector's choices."""
    language = page_language()
    return {
        "page_language": language,
        "page_direction": direction(language),
        "language_choices": [(code, NATIVE_NAMES[code]) for code in PATIENT_LANGUAGES],
        "staff_language_choices": [(code, NATIVE_NAMES[code]) for code in STAFF_LANGUAGES],
    }


def compile_catalogues(directory: Path = CATALOGUES) -> list[Path]:
    """Each `<code>/LC_MESSAGES/messages.po` compiled to its `.mo` when the .mo is missing or older (what
    `make translations` does, for a run that did not go through make). Returns the catalogues compiled."""
    compiled = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parent.parent.name)
        with mo.open("wb") as target:
            write_mo(target, catalogue)
        compiled.append(po)
    return compiled
