"""Importing a hospital's price list from CSV, as its new current resident tariff or international price list.

An import is all-or-nothing: the whole file is checked first (`tariffs.csv_file.parse_tariff`) and on any problem
nothing is written. The previous list of that kind stays in the history (`tariffs.current`); the other kind is not
touched: an international list never becomes the tariff bills are audited against.
"""

from __future__ import annotations

import hashlib

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import insert

from backoffice.billing.models import TariffImport, TariffItem
from backoffice.billing.tariffs.csv_file import TariffFileError, TariffFileTooLarge, TariffRow, parse_tariff
from backoffice.billing.tariffs.current import get_hospital, latest_import
from backoffice.billing.tariffs.kinds import UnknownKind, import_kind
from backoffice.cases.documents import display_name
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.trail import record_event

INSERT_CHUNK = 5_000  # rows per INSERT statement: 100,000 items in 20 round trips, never one ORM object per row


class TariffImportRefused(DomainError):
    """The file was not imported; `problems` lists every reason, each naming its row and column."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class TariffTooLarge(TariffImportRefused):
    status_code = 413


def max_tariff_bytes() -> int:
    """The largest tariff file accepted (TARIFF_MAX_MB, 20 MB unless configured)."""
    return int(settings().tariff_max_mb * 1024 * 1024)


def import_tariff(
    hospital_id: int, data: bytes, filename: str, actor_id: int | None, kind: str | None = None
) -> TariffImport:
    """Import a CSV price list as the hospital's new current tariff of its kind.

    All-or-nothing: every row is checked before anything is written, and on any problem TariffImportRefused lists
    all of them (row and column) and nothing is stored. The previous list of that kind stays in the history. The
    kind is the file's `kind` column, else `kind` (resident when neither says); the two disagreeing is a refusal.
    """
    hospital = get_hospital(hospital_id)
    name = display_name(filename) or "tariff.csv"
    try:
        rows = parse_tariff(data, max_bytes=max_tariff_bytes())
    except TariffFileTooLarge as error:
        raise TariffTooLarge(
            _("Nothing was imported from “%(name)s”: %(problem)s", name=name, problem=error.problems[0]), error.problems
        ) from None
    except TariffFileError as error:
        raise TariffImportRefused(
            ngettext(
                "Nothing was imported from “%(name)s” for %(hospital)s: %(num)d problem to correct in the file.",
                "Nothing was imported from “%(name)s” for %(hospital)s: %(num)d problems to correct in the file.",
                error.count,
                name=name,
                hospital=hospital.code,
            ),
            error.problems,
        ) from None

    try:
        kind = import_kind(rows[0].kind, kind)
    except UnknownKind as error:
        message = _(
            "Nothing was imported from “%(name)s” for %(hospital)s: %(problem)s",
            name=name,
            hospital=hospital.code,
            problem=error.message,
        )
        raise TariffImportRefused(message, [error.message]) from None
    previous = latest_import(hospital.id, kind)
    sha256 = hashlib.sha256(data).hexdigest()
    tariff_import = TariffImport(
        hospital_id=hospital.id,
        kind=kind,
        filename=name,
        sha256=sha256,
        item_count=len(rows),
        imported_at=utcnow(),
        imported_by_id=actor_id,
    )
    db.session.add(tariff_import)
    db.session.flush()
    _insert_items(tariff_import, rows)
    record_event(
        "tariff_imported",
        actor_id=actor_id,
        object_type="hospital",
        object_id=hospital.id,
        details={
            "hospital": hospital.code,
            "kind": kind,
            "import_id": tariff_import.id,
            "filename": name,
            "items": len(rows),
            "codes": len({row.code for row in rows}),
            "currencies": ",".join(sorted({row.currency for row in rows})),
            "sha256": sha256,
            "replaces_import_id": previous.id if previous else None,
            "previous_items": previous.item_count if previous else 0,
        },
    )
    return tariff_import


def _insert_items(tariff_import: TariffImport, rows: list[TariffRow]) -> None:
    """Bulk INSERTs in chunks: a 100,000-item tariff imports in seconds, not minutes."""
    statement = insert(TariffItem.__table__)
    for start in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(
            statement,
            [
                {
                    "import_id": tariff_import.id,
                    "hospital_id": tariff_import.hospital_id,
                    "code": row.code,
                    "description": row.description,
                    "resident_price": row.resident_price,
                    "currency": row.currency,
                    "valid_from": row.valid_from,
                    "valid_to": row.valid_to,
                }
                for row in rows[start : start + INSERT_CHUNK]
            ],
        )
