"""Every string a patient or visitor sees is translated into every patient language, every other string into every
staff language; the templates that are translated have no text outside a translation call."""

from __future__ import annotations

import re
from fnmatch import fnmatch

import pytest
from jinja2 import Environment

from backoffice.languages import PATIENT_LANGUAGES, STAFF_LANGUAGES
from tests.languages.catalogue import extracted, template_files, translated

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

# What a patient or visitor sees (pages, mails, documents made for them): in every patient language.
PATIENT_FACING = (
    "templates/base.html",
    "templates/errors/*",
    "templates/auth/login.html",
    "templates/intake/*",
    "templates/portal/*",
    "templates/messages/*.txt",
    "backoffice/intake/*",
    "backoffice/portal/*",
    "backoffice/languages.py",
    "backoffice/auth/permissions.py",
    # i17-pages: sign-in and passwords are shared by staff and patients; the error pages are everyone's
    "templates/auth/change_password.html",
    "backoffice/auth/forms.py",
    "backoffice/auth/views.py",
    "backoffice/auth/operations.py",
    "backoffice/auth/passwords.py",
    "backoffice/errors.py",
    "backoffice/auth/sessions.py",
    "backoffice/cases/documents.py",  # an upload's refusal: the patient sends files from the portal
    "backoffice/cases/models.py",  # the document types the portal names
    "templates/logistics/itinerary_pdf.html",
    "templates/invoicing/invoice_pdf.html",
    "backoffice/pdf.py",
    "backoffice/invoicing/printing.py",
    "backoffice/invoicing/models.py",
    "backoffice/messages/portal_thread.py",
    "backoffice/auth/forms.py",
    "backoffice/auth/passwords.py",
    "backoffice/transactions.py",  # "someone else changed this" reaches patients too
    # i17-directory: the checks of typed values also answer the public request form and the portal
    "backoffice/validators.py",
    "backoffice/forms.py",  # WTForms' plural refusals, on the request form too
    # offers portal (issue 18): the offer's PDF and the portal's offer pages share its parts
    "templates/offers/offer_pdf.html",
    "templates/offers/_sheet.html",
)
# Templates whose every visible word goes through a translation call (the staff pages follow, feature by feature).
TRANSLATED_TEMPLATES = (
    "base.html",
    # i17-pages
    "intake/*.html",
    "auth/login.html",
    "auth/change_password.html",
    "errors/*.html",
    "portal/index.html",
    "portal/invoices.html",
    "portal/accept_invite.html",
    "portal/forgot_password.html",
    "portal/trip.html",
    "portal/documents.html",
    "portal/_case_choice.html",
    "messages/*.txt",  # the automatic mails (i17-mails)
    "messages/compose/*.txt",  # a coordinator's templates (i17-mails)
    "logistics/itinerary_pdf.html",
    "invoicing/invoice_pdf.html",
    "portal/messages.html",
    "portal/account.html",
    "messages/portal_message_waiting.txt",
    # i17 cases: the case list, the case page and its partials, a new case, a document's preview; the shared macros
    "cases/*.html",
    "_macros.html",
    # i17-logistics: the staff pages of trip logistics and the notification centre
    "logistics/*.html",
    "notifications/*.html",
    # i17 invoicing+users+dashboard
    "invoicing/*.html",
    "users/*.html",
    "dashboard/*.html",
    # i17-billing: hospital bills, resident tariffs, the savings report, the audit log (the dispute letter to a
    # German hospital is a document in English and stays as it is)
    "billing/_case_bills.html",
    "billing/bill.html",
    "billing/bill_macros.html",
    "billing/bill_new.html",
    "billing/bills.html",
    "billing/savings.html",
    "billing/tariff.html",
    "billing/tariffs.html",
    "audit/*.html",
    # i17-messages: the staff pages of messages, the caught mail and the jobs admin page
    "messages/*.html",
    "devmail/*.html",
    "jobs/*.html",
    # i17-directory
    "directory/*.html",
    # offers portal (issue 18)
    "offers/offer_pdf.html",
    "offers/_sheet.html",
    "portal/offers.html",
    "portal/offer.html",
    "shipments/*.html",
    "portal/_case_invite.html",
    "portal/invite_link.html",
)
# Text that is the same in every language (units, symbols, proper names).
SAME_IN_EVERY_LANGUAGE = frozenset()


def patient_facing(filename: str) -> bool:
    return any(fnmatch(filename, pattern) for pattern in PATIENT_FACING)


def test_there_are_strings_to_translate():
    assert len(extracted()) > 20


@pytest.mark.parametrize("language", sorted(set(PATIENT_LANGUAGES) - {"en"}))
def test_every_string_a_patient_sees_is_translated_into_every_patient_language(language):
    missing = sorted(
        str(message)
        for message, files in extracted().items()
        if any(patient_facing(f) for f in files) and not translated(language, message)
    )
    assert missing == [], f"{len(missing)} strings lack a {language} translation (make messages, then translate)"


@pytest.mark.parametrize("language", sorted(set(STAFF_LANGUAGES) - {"en"}))
def test_every_string_of_the_staff_pages_is_translated_into_every_staff_language(language):
    missing = sorted(str(message) for message in extracted() if not translated(language, message))
    assert missing == [], f"{len(missing)} strings lack a {language} translation (make messages, then translate)"


# Text outside tags: what is left of a template's own text once tags, comments, scripts and styles are gone.
_NOT_TEXT = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]*>|&[a-z]+;|&#\d+;", re.S | re.I)
_VISIBLE_ATTRIBUTE = re.compile(r"""\b(placeholder|title|alt|aria-label)\s*=\s*(["'])([^"'\x00]*?)\2""", re.I)
_LETTER = re.compile(r"[^\W\d_]{2,}")


def untranslated_text(source: str) -> list[str]:
    """The words of `source` that are neither inside a Jinja tag nor part of HTML markup (each Jinja tag counts as
    a placeholder, so `<p>{{ _("Hello") }}</p>` has none and `<p>Hello {{ name }}</p>` has 'Hello')."""
    parts, in_trans, after_block_begin = [], False, False
    for _line, token, value in Environment(extensions=["jinja2.ext.i18n"]).lex(source):
        if after_block_begin and token == "name" and value in ("trans", "endtrans"):
            in_trans = value == "trans"  # {% trans %}...{% endtrans %}: its text is the message
        if token != "whitespace":
            after_block_begin = token == "block_begin"
        parts.append(value if token == "data" and not in_trans else "\x00")
    text = "".join(parts)
    words = [value for *_, value in _VISIBLE_ATTRIBUTE.findall(text) if _LETTER.search(value)]
    text = _NOT_TEXT.sub(" ", text)
    words += [word for word in _LETTER.findall(text) if word not in SAME_IN_EVERY_LANGUAGE]
    return words


def test_the_text_check_finds_words_outside_translation_calls():
    assert untranslated_text('<p title="Close">{{ _("Hello") }} {{ name }}</p>') == ["Close"]
    assert untranslated_text("<p>Hello {{ name }}</p><style>p { color: red }</style>") == ["Hello"]
    assert untranslated_text('<p>{% trans %}Hello {{ name }}{% endtrans %}</p><a href="/x">→</a>') == []


@pytest.mark.parametrize("path", template_files(TRANSLATED_TEMPLATES), ids=lambda path: path.name)
def test_a_translated_template_has_no_text_outside_a_translation_call(path):
    assert untranslated_text(path.read_text()) == []
