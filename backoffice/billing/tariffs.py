"""Resident tariffs: importing a hospital's price list, its current version, searching it, its import history.

An import is all-or-nothing: the whole file is checked first (`tariff_csv.parse_tariff`) and on any problem nothing
is written. The latest import of a hospital is its current tariff; earlier imports stay for history, so an audit
can always be traced to the list it used.
"""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import joinedload

from backoffice.billing.models import TariffImport, TariffItem
from backoffice.billing.tariff_csv import TariffFileError, TariffFileTooLarge, TariffRow, parse_tariff
from backoffice.cases.documents import display_name
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Hospital
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.pagination import Page, paginate
from backoffice.trail import record_event

INSERT_CHUNK = 5_000  # rows per INSERT statement: 100,000 items in 20 round trips, never one ORM object per row
PAGE_SIZE = 50
HISTORY_SIZE = 50
MAX_SEARCH_WORDS = 10


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


def get_hospital(hospital_id: int) -> Hospital:
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound("There is no such hospital.")
    return hospital


def hospital_by_code(code: str) -> Hospital:
    code = (code or "").strip().upper()
    hospital = db.session.scalar(select(Hospital).where(Hospital.code == code[:20]))
    if hospital is None:
        raise NotFound(f"There is no hospital with the code {code[:40] or '(empty)'}.")
    return hospital


# ---------------------------------------------------------------------------------------------- importing


def import_tariff(hospital_id: int, data: bytes, filename: str, actor_id: int | None) -> TariffImport:
    """Import a CSV price list as the hospital's new current tariff.

    All-or-nothing: every row is checked before anything is written, and on any problem TariffImportRefused lists
    all of them (row and column) and nothing is stored. The previous tariff stays in the history.
    """
    hospital = get_hospital(hospital_id)
    name = display_name(filename) or "tariff.csv"
    try:
        rows = parse_tariff(data, max_bytes=max_tariff_bytes())
    except TariffFileTooLarge as error:
        raise TariffTooLarge(f"Nothing was imported from “{name}”: {error.problems[0]}", error.problems) from None
    except TariffFileError as error:
        found = f"{error.count} problem{'s' if error.count != 1 else ''}"
        raise TariffImportRefused(
            f"Nothing was imported from “{name}” for {hospital.code}: {found} to correct in the file.", error.problems
        ) from None

    previous = latest_import(hospital.id)
    sha256 = hashlib.sha256(data).hexdigest()
    tariff_import = TariffImport(
        hospital_id=hospital.id,
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


# ---------------------------------------------------------------------------------------------- reading


def _latest_first():
    return TariffImport.imported_at.desc(), TariffImport.id.desc()


def _current_import_id(hospital_id: int):
    return (
        select(TariffImport.id)
        .where(TariffImport.hospital_id == hospital_id)
        .order_by(*_latest_first())
        .limit(1)
        .scalar_subquery()
    )


def latest_import(hospital_id: int) -> TariffImport | None:
    """The import that is the hospital's current tariff (with who imported it), or None when it has none."""
    return db.session.scalar(
        select(TariffImport)
        .where(TariffImport.hospital_id == hospital_id)
        .order_by(*_latest_first())
        .limit(1)
        .options(joinedload(TariffImport.imported_by))
    )


def current_tariff(hospital_id: int) -> list[TariffItem]:
    """Every item of the hospital's current tariff (its latest import), by code and valid_from; [] when none."""
    return list(
        db.session.scalars(
            select(TariffItem)
            .where(TariffItem.import_id == _current_import_id(hospital_id))
            .order_by(TariffItem.code, TariffItem.valid_from, TariffItem.id)
        )
    )


def search_tariff(
    hospital_id: int, q: str | None = None, on_date: date | None = None, page: int = 1
) -> Page[TariffItem]:
    """One page of the current tariff, by code and valid_from.

    `q` matches a code prefix or every word in the description (case-insensitive); `on_date` keeps the versions
    valid that day (valid_to inclusive, an empty valid_to open-ended).
    """
    query = select(TariffItem).where(TariffItem.import_id == _current_import_id(hospital_id))
    text = (q or "").strip()[:100].lower()
    if text:
        words = text.split()[:MAX_SEARCH_WORDS]
        query = query.where(
            or_(
                func.lower(TariffItem.code).startswith(text, autoescape=True),
                and_(*(func.lower(TariffItem.description).contains(word, autoescape=True) for word in words)),
            )
        )
    if on_date is not None:
        query = query.where(
            TariffItem.valid_from <= on_date, or_(TariffItem.valid_to.is_(None), TariffItem.valid_to >= on_date)
        )
    return paginate(
        query, page=page, per_page=PAGE_SIZE, order_by=(TariffItem.code, TariffItem.valid_from, TariffItem.id)
    )


def tariff_imports(hospital_id: int, limit: int = HISTORY_SIZE) -> list[TariffImport]:
    """The hospital's imports, newest (the current tariff) first, with who imported each."""
    return list(
        db.session.scalars(
            select(TariffImport)
            .where(TariffImport.hospital_id == hospital_id)
            .order_by(*_latest_first())
            .limit(limit)
            .options(joinedload(TariffImport.imported_by))
        )
    )


def hospitals_with_tariffs(page: int = 1) -> tuple[Page[Hospital], dict[int, TariffImport]]:
    """One page of hospitals by name, and the current tariff import of each that has one (three statements)."""
    hospitals = paginate(select(Hospital), page=page, per_page=PAGE_SIZE, order_by=(Hospital.name, Hospital.id))
    ids = [hospital.id for hospital in hospitals.items]
    ranked = (
        select(
            TariffImport.id,
            func.row_number().over(partition_by=TariffImport.hospital_id, order_by=_latest_first()).label("position"),
        )
        .where(TariffImport.hospital_id.in_(ids))
        .subquery()
    )
    current = db.session.scalars(
        select(TariffImport).join(ranked, ranked.c.id == TariffImport.id).where(ranked.c.position == 1)
    )
    return hospitals, {tariff_import.hospital_id: tariff_import for tariff_import in current}
