"""Price lists as they stand: a hospital's current tariff of each kind (its latest import of that kind), searching
it, its import history.

The latest import of a kind is the hospital's current list of that kind: its resident tariff (what bills are audited
against; every function here means it unless asked for `kind="international"`) or its international price list.
Earlier imports stay for history, so an audit can always be traced to the list it used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from backoffice.billing.models import TariffImport, TariffItem
from backoffice.directory.models import Hospital
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.pagination import Page, paginate

PAGE_SIZE = 50
HISTORY_SIZE = 50
MAX_SEARCH_WORDS = 10


def get_hospital(hospital_id: int) -> Hospital:
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound(_("There is no such hospital."))
    return hospital


def hospital_by_code(code: str) -> Hospital:
    code = (code or "").strip().upper()
    hospital = db.session.scalar(select(Hospital).where(Hospital.code == code[:20]))
    if hospital is None:
        raise NotFound(f"There is no hospital with the code {code[:40] or '(empty)'}.")
    return hospital


def _latest_first():
    return TariffImport.imported_at.desc(), TariffImport.id.desc()


def _current_import(hospital_id: int, kind: str = "resident"):
    return (
        select(TariffImport.id)
        .where(TariffImport.hospital_id == hospital_id, TariffImport.kind == kind)
        .order_by(*_latest_first())
        .limit(1)
    )


def current_import_id(hospital_id: int, kind: str = "resident") -> int | None:
    """The id of the hospital's current tariff of that kind (its latest import of it, by imported_at then id); None
    when it has none."""
    return db.session.scalar(_current_import(hospital_id, kind))


def latest_import(hospital_id: int, kind: str = "resident") -> TariffImport | None:
    """The import that is the hospital's current tariff of that kind (with who imported it), or None."""
    return db.session.scalar(
        select(TariffImport)
        .where(TariffImport.hospital_id == hospital_id, TariffImport.kind == kind)
        .order_by(*_latest_first())
        .limit(1)
        .options(joinedload(TariffImport.imported_by))
    )


def current_tariff(hospital_id: int, kind: str = "resident") -> list[TariffItem]:
    """Every item of the hospital's current tariff of that kind (its latest import), by code and valid_from; [] when
    none."""
    return list(
        db.session.scalars(
            select(TariffItem)
            .where(TariffItem.import_id == _current_import(hospital_id, kind).scalar_subquery())
            .order_by(TariffItem.code, TariffItem.valid_from, TariffItem.id)
        )
    )


def search_tariff(
    hospital_id: int, q: str | None = None, on_date: date | None = None, page: int = 1, kind: str = "resident"
) -> Page[TariffItem]:
    """One page of the current tariff of that kind, by code and valid_from.

    `q` matches a code prefix or every word in the description (case-insensitive); `on_date` keeps the versions
    valid that day (valid_to inclusive, an empty valid_to open-ended).
    """
    query = select(TariffItem).where(TariffItem.import_id == _current_import(hospital_id, kind).scalar_subquery())
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


def prices_on(hospital_id: int, codes: Iterable[str], on_date: date, kind: str = "resident") -> dict[str, TariffItem]:
    """The version of each code valid on `on_date` in the hospital's current tariff of that kind (one statement);
    a code with no valid version is missing from the answer. Two versions valid the same day: the later one."""
    wanted = sorted({code for code in codes if code})
    if not wanted:
        return {}
    items = db.session.scalars(
        select(TariffItem)
        .where(
            TariffItem.import_id == _current_import(hospital_id, kind).scalar_subquery(),
            TariffItem.code.in_(wanted),
            TariffItem.valid_from <= on_date,
            or_(TariffItem.valid_to.is_(None), TariffItem.valid_to >= on_date),
        )
        .order_by(TariffItem.code, TariffItem.valid_from, TariffItem.id)
    )
    return {item.code: item for item in items}


def tariff_imports(hospital_id: int, limit: int = HISTORY_SIZE, kind: str = "resident") -> list[TariffImport]:
    """The hospital's imports of that kind, newest (the current one) first, with who imported each."""
    return list(
        db.session.scalars(
            select(TariffImport)
            .where(TariffImport.hospital_id == hospital_id, TariffImport.kind == kind)
            .order_by(*_latest_first())
            .limit(limit)
            .options(joinedload(TariffImport.imported_by))
        )
    )


def hospitals_with_tariffs(page: int = 1) -> tuple[Page[Hospital], dict[int, dict[str, TariffImport]]]:
    """One page of hospitals by name, and the current import of each kind of each (three statements): hospital id
    -> kind -> import; a kind the hospital has no list of is missing."""
    hospitals = paginate(select(Hospital), page=page, per_page=PAGE_SIZE, order_by=(Hospital.name, Hospital.id))
    return hospitals, current_imports([hospital.id for hospital in hospitals.items])


def current_imports(hospital_ids: Iterable[int]) -> dict[int, dict[str, TariffImport]]:
    """The current import of each kind of each hospital (one statement): hospital id -> kind -> import."""
    ids = sorted(set(hospital_ids))
    if not ids:
        return {}
    ranked = (
        select(
            TariffImport.id,
            func.row_number()
            .over(partition_by=(TariffImport.hospital_id, TariffImport.kind), order_by=_latest_first())
            .label("position"),
        )
        .where(TariffImport.hospital_id.in_(ids))
        .subquery()
    )
    current = db.session.scalars(
        select(TariffImport).join(ranked, ranked.c.id == TariffImport.id).where(ranked.c.position == 1)
    )
    result: dict[int, dict[str, TariffImport]] = {}
    for tariff_import in current:
        result.setdefault(tariff_import.hospital_id, {})[tariff_import.kind] = tariff_import
    return result
