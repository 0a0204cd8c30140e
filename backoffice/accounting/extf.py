"""The DATEV booking batch as a file: the "EXTF" CSV format, category 21 "Buchungsstapel", version 13 (pure).

Line 1 is the batch header (format 700, 31 fields): creation time, consultant and client number, the fiscal year's
start, the account length, the period, a label, booking type 1 (financial accounting), not yet fixed (Festschreibung
0), the currency and the chart. Line 2 names the columns: **all 125 columns of Buchungsstapel version 13**, in
DATEV's order and spelling, rather than the short list some importers tolerate, so the file imports into DATEV
Rechnungswesen and Unternehmen online without a custom format. Each booking row fills Umsatz (positive, decimal
comma, no thousands separator), Soll/Haben-Kennzeichen (of Konto), WKZ Umsatz, Konto, Gegenkonto, Belegdatum (DDMM;
the year comes from the header's period), Belegfeld 1 (the document number the open item is matched by), Buchungstext
and Festschreibung; every other column stays empty.

Text in the rows is quoted ("" inside), numbers and the column headings are not (as DATEV writes them); fields are
separated by semicolons, lines end with CR LF, and the file is Windows-1252 as DATEV reads it: a character outside
it (a name in Cyrillic or Arabic) is written without accents where that gives a Latin letter, otherwise as "?".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from backoffice.accounting.charts import ACCOUNT_LENGTH

ENCODING = "cp1252"
TEXT_LENGTH = 60  # Buchungstext
DOCUMENT_NUMBER_LENGTH = 36  # Belegfeld 1
LABEL_LENGTH = 30  # the batch's Bezeichnung

COLUMNS = (
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Kurs",
    "Basis-Umsatz",
    "WKZ Basis-Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Skonto",
    "Buchungstext",
    "Postensperre",
    "Diverse Adressnummer",
    "Geschäftspartnerbank",
    "Sachverhalt",
    "Zinssperre",
    "Beleglink",
    *(f"Beleginfo - {part} {n}" for n in range(1, 9) for part in ("Art", "Inhalt")),
    "KOST1 - Kostenstelle",
    "KOST2 - Kostenstelle",
    "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)",
    "EU-Steuersatz (Bestimmung)",
    "Abw. Versteuerungsart",
    "Sachverhalt L+L",
    "Funktionsergänzung L+L",
    "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer",
    "BU 49 Funktionsergänzung",
    *(name for n in range(1, 21) for name in (f"Zusatzinformation - Art {n}", f"Zusatzinformation- Inhalt {n}")),
    "Stück",
    "Gewicht",
    "Zahlweise",
    "Forderungsart",
    "Veranlagungsjahr",
    "Zugeordnete Fälligkeit",
    "Skontotyp",
    "Auftragsnummer",
    "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)",
    "EU-Land (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)",
    "Erlöskonto (Anzahlungen)",
    "Herkunft-Kz",
    "Buchungs GUID",
    "KOST-Datum",
    "SEPA-Mandatsreferenz",
    "Skontosperre",
    "Gesellschaftername",
    "Beteiligtennummer",
    "Identifikationsnummer",
    "Zeichnernummer",
    "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt",
    "Kennzeichen SoBil-Buchung",
    "Festschreibung",
    "Leistungsdatum",
    "Datum Zuord. Steuerperiode",
    "Fälligkeit",
    "Generalumkehr (GU)",
    "Steuersatz",
    "Land",
    "Abrechnungsreferenz",
    "BVV-Position",
    "EU-Land u. UStID (Ursprung)",
    "EU-Steuersatz (Ursprung)",
    "Abw. Skontokonto",
)
_AT = {name: index for index, name in enumerate(COLUMNS)}


@dataclass(frozen=True, slots=True)
class Row:
    """One booking line: `amount` (positive) on `account` at `side` (S debit, H credit), against `contra_account`."""

    amount: Decimal
    side: str
    account: int
    contra_account: int
    document_date: date
    document_number: str
    text: str
    currency: str = "EUR"


@dataclass(frozen=True, slots=True)
class Header:
    created_at: datetime
    consultant_number: int
    client_number: int
    fiscal_year_start: date
    period_from: date
    period_to: date
    label: str
    chart_code: str  # "03" / "04"
    currency: str = "EUR"
    exported_by: str = ""


def plain(text: str, length: int) -> str:
    """Text DATEV takes: one line without control characters, in Windows-1252, at most `length` characters."""
    kept = []
    for char in " ".join((text or "").split()):
        if unicodedata.category(char).startswith("C"):
            continue
        try:
            char.encode(ENCODING)
            kept.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            kept.append(base or "?")
    return "".join(kept)[:length].strip()


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def amount_text(amount: Decimal) -> str:
    """1234.5 -> 1234,50: two decimals, a decimal comma, no thousands separator."""
    return f"{amount.quantize(Decimal('0.01')):f}".replace(".", ",")


def header_line(header: Header) -> str:
    fields = [
        quoted("EXTF"),
        "700",
        "21",
        quoted("Buchungsstapel"),
        "13",
        header.created_at.strftime("%Y%m%d%H%M%S") + f"{header.created_at.microsecond // 1000:03d}",
        "",
        quoted("RE"),
        quoted(plain(header.exported_by, 25)),
        quoted(""),
        str(header.consultant_number),
        str(header.client_number),
        header.fiscal_year_start.strftime("%Y%m%d"),
        str(ACCOUNT_LENGTH),
        header.period_from.strftime("%Y%m%d"),
        header.period_to.strftime("%Y%m%d"),
        quoted(plain(header.label, LABEL_LENGTH)),
        quoted(""),  # Diktatkürzel
        "1",  # Buchungstyp: Finanzbuchführung
        "0",  # Rechnungslegungszweck: unabhängig
        "0",  # Festschreibung: the adviser fixes the batch after checking it
        quoted(header.currency),
        "",
        quoted(""),  # Derivatskennzeichen
        "",
        "",
        quoted(header.chart_code),
        "",  # Branchen-Lösungs-ID
        "",
        quoted(""),
        quoted(""),  # Anwendungsinformation
    ]
    return ";".join(fields)


def row_line(row: Row) -> str:
    fields = [""] * len(COLUMNS)
    fields[_AT["Umsatz (ohne Soll/Haben-Kz)"]] = amount_text(row.amount)
    fields[_AT["Soll/Haben-Kennzeichen"]] = quoted(row.side)
    fields[_AT["WKZ Umsatz"]] = quoted(row.currency)
    fields[_AT["Konto"]] = str(row.account)
    fields[_AT["Gegenkonto (ohne BU-Schlüssel)"]] = str(row.contra_account)
    fields[_AT["Belegdatum"]] = row.document_date.strftime("%d%m")
    fields[_AT["Belegfeld 1"]] = quoted(plain(row.document_number, DOCUMENT_NUMBER_LENGTH))
    fields[_AT["Buchungstext"]] = quoted(plain(row.text, TEXT_LENGTH))
    fields[_AT["Festschreibung"]] = "0"
    return ";".join(fields)


def batch_file(header: Header, rows: Iterable[Row]) -> bytes:
    """The whole file: header, column headings, one line per row, each ended by CR LF, in Windows-1252."""
    lines = [header_line(header), ";".join(COLUMNS), *(row_line(row) for row in rows)]
    return "".join(line + "\r\n" for line in lines).encode(ENCODING)
