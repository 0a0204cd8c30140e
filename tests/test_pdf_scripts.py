"""Names and addresses in every script the operator's patients write print in every PDF the app makes.

Each PDF kind (invoice, credit note, itinerary, dispute letter) is rendered with a patient (and, where the document
shows them, a hospital and a physician) named in one script; `pdftotext` must read the text back, and every
character must have been drawn with a real glyph of an embedded font (WeasyPrint draws a box, the font's .notdef,
for a character no font has, yet still writes the character into the text layer: reading the text back alone would
not see the boxes).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pypdf
import pytest
from fontTools.ttLib import TTFont
from pypdf.generic import IndirectObject, StreamObject

from backoffice.billing.disputes.letters import dispute_letter, dispute_letter_pdf
from backoffice.directory.models import Physician
from backoffice.extensions import db
from backoffice.invoicing.printing import render_invoice_pdf
from backoffice.languages import direction
from backoffice.logistics.itinerary.document import render_itinerary_pdf
from backoffice.logistics.itinerary.loading import load_itinerary
from backoffice.offers.document import offer_pdf
from backoffice.offers.operations import get_offer
from backoffice.patients.models import Patient
from tests.billing.test_letters import make_disputed_bill
from tests.invoicing.test_pdf import make_invoice, make_line, treatment_lines
from tests.logistics.test_itinerary import make_trip
from tests.offers.priced import make_offer_case, make_sent_offer


@dataclass(frozen=True)
class People:
    """What one script's patient, hospital and physician are called, and where they live."""

    patient: str
    address: tuple[str, ...]  # its lines
    hospital: str
    hospital_address: str
    physician: str


SCRIPTS = {
    "latin": People(
        "Zoë Łukasiewicz-Núñez", ("Çiçek Sokak 5", "Ørestad, Ísafjörður"), "Clínica Señora de Fátima",
        "Avenida João XXIII 7, Lisboa", "Dr. Ingrid Sørensen",
    ),
    "cyrillic": People(
        "Анна Сергеевна Иванова", ("ул. Тверская, д. 7, кв. 12", "Москва"), "Клиника «Здоровье»",
        "Проспект Мира 21, Санкт-Петербург", "Др. Юрий Щербаков",
    ),
    "greek": People(
        "Γιώργος Παπαδόπουλος", ("Οδός Ερμού 12", "Αθήνα"), "Κλινική Υγεία", "Λεωφόρος Κηφισίας 4, Μαρούσι",
        "Δρ. Ελένη Ζαχαρίου",
    ),
    "arabic": People(
        "أمل حداد", ("شارع الشيخ زايد 12", "دبي"), "مستشفى الأمل", "طريق الملك فهد، الرياض", "د. سلمى الخطيب",
    ),
    "hebrew": People(
        "נועה כהן", ("רחוב הרצל 15", "תל אביב"), "בית החולים שיבא", "דרך שיבא 2, רמת גן", "ד״ר אבי לוי",
    ),
    "chinese": People(
        "王小明", ("朝阳区建国路88号", "北京市"), "北京协和医院", "东城区帅府园一号", "李医生",
    ),
    "japanese": People(
        "山田はなこ", ("新宿区西新宿2丁目8番1号", "東京都"), "さくら総合病院", "大阪市北区梅田ヨドバシ",
        "佐藤ケンジ医師",
    ),
    "korean": People(
        "김민준", ("테헤란로 152", "서울특별시 강남구"), "서울아산병원", "송파구 올림픽로 43길 88", "박지현 교수",
    ),
    "devanagari": People(
        "राहुल शर्मा", ("गांधी मार्ग 14", "मुंबई, महाराष्ट्र"), "अपोलो अस्पताल", "सरिता विहार, नई दिल्ली", "डॉ. प्रिया सिंह",
    ),
}  # fmt: skip
SHAPED_SCRIPTS = ("arabic", "hebrew", "devanagari")


# ---------------------------------------------------------------------------------------------- reading a PDF


def pdf_text(pdf: bytes) -> str:
    """What `pdftotext` reads, NFKC-normalised, words separated by single spaces."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `make system-deps` installs poppler-utils")
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(unicodedata.normalize("NFKC", result.stdout.decode()).split())


def letters(text: str) -> str:
    """The letters and digits of `text`, without marks (vowel signs, points, virama) and in NFKC (Arabic
    presentation forms become letters)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(char for char in decomposed if unicodedata.category(char)[0] in "LN")


def assert_text_comes_back(text: str, expected: str, *, shaped: bool) -> None:
    """Each word of `expected` is in `text` as written; for a `shaped` script (Arabic, Hebrew, Devanagari), whose
    text layer follows the glyphs (a right-to-left word may come back in visual order, a Devanagari reph after
    its consonant and with that consonant twice), its letters side by side."""
    found = letters(text)
    for word in expected.split():
        if word in text:
            continue
        wanted = Counter(letters(word))
        size = sum(wanted.values()) + 2
        assert shaped and any(wanted <= Counter(found[at : at + size]) for at in range(len(found))), (
            f"{word!r} is not in the PDF's text: {text!r}"
        )


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def _fonts(reader: pypdf.PdfReader):
    """Every font the pages draw with (type 0 fonts as their descendant), once."""
    seen = set()
    for page in reader.pages:
        resources = _resolve(page.get("/Resources")) or {}
        for font in (_resolve(resources.get("/Font")) or {}).values():
            font_id = font.idnum if isinstance(font, IndirectObject) else id(font)
            if font_id not in seen:
                seen.add(font_id)
                yield _resolve(font)


def _cmap_pairs(stream: StreamObject) -> dict[int, str]:
    """A CMap's `bfchar`/`cidchar` entries: code -> its text (ToUnicode) or its glyph id as text (an encoding)."""
    data = stream.get_data().decode("latin-1")
    pairs = {}
    for block in re.findall(r"begin(?:bf|cid)char(.*?)end(?:bf|cid)char", data, re.S):
        for code, value in re.findall(r"<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\d+)", block):
            if value.startswith("<"):
                pairs[int(code, 16)] = bytes.fromhex(value[1:-1]).decode("utf-16-be")
            else:
                pairs[int(code, 16)] = value
    return pairs


def missing_glyphs(pdf: bytes) -> list[str]:
    """The characters of the PDF's text drawn as .notdef (a box): their code maps to glyph 0, or to a glyph the
    embedded font does not have."""
    missing = []
    for font in _fonts(pypdf.PdfReader(io.BytesIO(pdf))):
        if "/ToUnicode" not in font:
            continue
        text_of_code = _cmap_pairs(_resolve(font["/ToUnicode"]))
        encoding = _resolve(font.get("/Encoding"))
        glyph_of_code = (
            {code: int(gid) for code, gid in _cmap_pairs(encoding).items()}
            if isinstance(encoding, StreamObject)
            else {}
        )
        descendant = _resolve(font["/DescendantFonts"][0]) if "/DescendantFonts" in font else font
        descriptor = _resolve(descendant["/FontDescriptor"])
        file = next(_resolve(descriptor[key]) for key in ("/FontFile2", "/FontFile3", "/FontFile") if key in descriptor)
        glyph_count = TTFont(io.BytesIO(file.get_data()), lazy=True)["maxp"].numGlyphs
        for code, text in text_of_code.items():
            if not text.strip() or all(unicodedata.category(char) in ("Cf", "Zs") for char in text):
                continue
            glyph = glyph_of_code.get(code, code)
            if glyph == 0 or glyph >= glyph_count:
                missing.append(text)
    return missing


def word_boxes(pdf: bytes) -> list[tuple[str, float, float]]:
    """Each word `pdftotext -bbox` reads on the first page, with the middle of its box across the page (0: left
    edge, 1: right edge) and its top."""
    boxes = subprocess.run(["pdftotext", "-bbox", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True)
    text = boxes.stdout.decode()
    width = float(re.search(r'<page width="([\d.]+)"', text)[1])
    return [
        (word, (float(x_min) + float(x_max)) / 2 / width, float(y_min))
        for x_min, y_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>([^<]*)<', text
        )
    ]


def first_position(pdf: bytes, word: str) -> float:
    return next(at for found, at, _ in word_boxes(pdf) if found == word)


def document_language(pdf: bytes) -> str:
    return str(pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"].get("/Lang", ""))


# ---------------------------------------------------------------------------------------------- every PDF kind


@dataclass
class Document:
    render: Callable[..., bytes]  # render(language="en"): the PDF in that language (a staff letter: its own)
    people: list[str]  # the names and addresses typed in, as they must come back
    amount: str  # an amount (or a time) it shows, which must read left to right in either direction


def invoice(app, people: People) -> Document:
    made = make_invoice(bill_to_name=people.patient, bill_to_address="\n".join(people.address), lines=treatment_lines())
    return Document(
        lambda language="en": render_invoice_pdf(made, language=language),
        [people.patient, *people.address],
        "EUR 19,465.86",
    )


def credit_note(app, people: People) -> Document:
    made = make_invoice(
        "credit_note",
        number="CN-2026-00001",
        bill_to_name=people.patient,
        bill_to_address="\n".join(people.address),
        credited_invoice=make_invoice(lines=treatment_lines()),
        lines=[make_line("Coordination fee", "1", "-1500.00", vat_rate="19")],
    )
    return Document(
        lambda language="en": render_invoice_pdf(made, language=language),
        [people.patient, *people.address],
        "-EUR 1,785.00",
    )


def itinerary(app, people: People) -> Document:
    trip = make_trip(patient_name=people.patient, preferred_language="en")
    trip.hospital.name, trip.hospital.address = people.hospital, people.hospital_address
    db.session.get(Physician, trip.appointment.physician_id).name = people.physician
    trip.hotels[0].address = ", ".join(people.address)
    db.session.flush()

    def render(language="en") -> bytes:
        db.session.get(Patient, trip.case.patient_id).preferred_language = language
        db.session.flush()
        with app.test_request_context():
            return render_itinerary_pdf(load_itinerary(trip.case.id))

    shown = [people.patient, people.hospital, people.hospital_address, people.physician, ", ".join(people.address)]
    return Document(render, shown, "02:40 +04")


def dispute_letter_to_hospital(app, people: People) -> Document:
    disputed = make_disputed_bill()
    disputed.hospital.name, disputed.hospital.address = people.hospital, people.hospital_address
    disputed.hospital.contact_name = people.physician
    db.session.get(Patient, disputed.case.patient_id).name = people.patient
    db.session.flush()

    def render(language="en") -> bytes:
        # A letter to the hospital, in the operator's language; its direction comes from the layout's variables.
        with app.test_request_context():
            if language != "en":
                app.jinja_env.globals.update(document_language=language, document_direction=direction(language))
            try:
                return dispute_letter_pdf(dispute_letter(disputed.bill.id, signatory="Frida Finance"))
            finally:
                app.jinja_env.globals.pop("document_language", None)
                app.jinja_env.globals.pop("document_direction", None)

    return Document(render, [people.patient, people.hospital, people.hospital_address, people.physician], "EUR 106.54")


def treatment_offer(app, people: People) -> Document:
    made = make_sent_offer(make_offer_case(name=people.patient))
    offer = get_offer(made.id)
    offer.case.hospital.name = people.hospital
    offer.included = ", ".join(people.address)  # what the coordinator typed, shown to the patient

    def render(language="en") -> bytes:
        offer.language = language
        return offer_pdf(offer)

    return Document(render, [people.patient, people.hospital, ", ".join(people.address)], "11,045.00")


PDF_KINDS = {
    "invoice": invoice,
    "credit note": credit_note,
    "itinerary": itinerary,
    "dispute letter": dispute_letter_to_hospital,
    "treatment offer": treatment_offer,
}


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("kind", PDF_KINDS)
def test_names_and_addresses_print_in_every_script_in_every_pdf(app, kind, script):
    document = PDF_KINDS[kind](app, SCRIPTS[script])
    pdf = document.render()
    text = pdf_text(pdf)
    for wanted in document.people:
        assert_text_comes_back(text, wanted, shaped=script in SHAPED_SCRIPTS)
    assert document.amount in text
    assert missing_glyphs(pdf) == [], "these print as boxes (`make system-deps` installs the Noto fonts)"


@pytest.mark.parametrize("kind", PDF_KINDS)
def test_a_right_to_left_pdf_mirrors_its_layout_and_keeps_amounts_readable(app, monkeypatch, kind):
    """A document made in Arabic (the patient's language) is laid out right to left."""
    document = PDF_KINDS[kind](app, SCRIPTS["arabic"])
    left_to_right = document.render("en")
    right_to_left = document.render("ar")

    assert (document_language(left_to_right), document_language(right_to_left)) == ("en", "ar")
    # The operator's name heads the first page at the start of the line: on the left, or on the right when mirrored.
    assert first_position(left_to_right, "MedTravel") < 0.5 < first_position(right_to_left, "MedTravel")
    # Amounts keep their sign, currency and digits in order; the Arabic names still come back.
    text = pdf_text(right_to_left)
    assert document.amount in text
    for wanted in document.people:
        assert_text_comes_back(text, wanted, shaped=True)
    assert missing_glyphs(right_to_left) == []


def test_an_address_in_a_right_to_left_script_runs_right_to_left_in_a_left_to_right_pdf():
    """The house number written first stands at the right of the street's name, where an Arabic reader starts."""
    pdf = render_invoice_pdf(make_invoice(bill_to_address="47 شارع الشيخ زايد\nدبي", lines=treatment_lines()))
    words = word_boxes(pdf)
    number_at, line = next((at, top) for word, at, top in words if word == "47")
    street = [at for word, at, top in words if top == line and any(unicodedata.bidirectional(c) == "AL" for c in word)]
    assert street and number_at > max(street)


def test_a_character_no_font_has_is_reported_as_missing():
    """The glyph check itself: a private-use character, which no font draws, prints as a box and is found."""
    pdf = render_invoice_pdf(make_invoice(bill_to_name="Amal \ue000 Haddad", lines=treatment_lines()))
    assert "Amal \ue000 Haddad" in pdf_text(pdf)  # the text layer has it all the same
    assert missing_glyphs(pdf) == ["\ue000"]
