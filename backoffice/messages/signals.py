"""Where features above `messages` take part in writing from a case: every tie is named here.

`messages` sends these signals and never imports the features that answer them (logistics, invoicing); each answers
in a small module of its own (`logistics/message_answers.py`, `invoicing/message_answers.py`), loaded with its
package by `create_app`, so the arrows point from those features to `messages`.

- `case_contacts` (sender: the case) -> a list of `Contact`: people of the case one may write to, besides those
  `messages` knows itself (the patient, the hospital's contact, the physician). Answered by logistics: the
  interpreters booked for the case (those with an email address).
- `case_attachables` (sender: the case) -> a list of `Attachable`: files of the case one may attach, besides its
  documents. Answered by logistics (the itinerary PDF) and invoicing (the case's issued invoices' PDFs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()

case_contacts = _signals.signal("message-case-contacts")
case_attachables = _signals.signal("message-case-attachables")


@dataclass(frozen=True)
class Contact:
    """Someone of the case to write to. `key` names them in a form ("patient", "interpreter:7"); `on_record` says
    the address is the case's patient's, physician's or hospital's as recorded (health data may go there)."""

    key: str
    counterpart: str  # one of messages.models.COUNTERPARTS
    name: str
    address: str
    language: str = "en"  # the language to write in, where known
    on_record: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} <{self.address}>"


@dataclass(frozen=True)
class Attachable:
    """A file of the case that may go with a message; `load()` makes its bytes only when it is attached."""

    key: str  # "document:12", "itinerary", "invoice:4"
    label: str
    filename: str
    content_type: str
    health_data: bool  # only to the case's patient, physician or hospital
    source: str  # "case_document", "itinerary", "invoice"
    load: Callable[[], bytes]
    document_id: int | None = None
