"""One page of a list: a count and a slice, two SQL statements whatever the table size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from backoffice.extensions import db

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int
    per_page: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(
    query: Select[Any], *, page: int, per_page: int, order_by: tuple[Any, ...], options: tuple[Any, ...] = ()
) -> Page[Any]:
    """Run `query` for one page; a page number out of range is clamped to the nearest page.

    `options` (eager loads) apply to the rows only, not to the count.
    """
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = (
        db.session.scalars(query.options(*options).order_by(*order_by).limit(per_page).offset((page - 1) * per_page))
        .unique()
        .all()
    )
    return Page(items=list(rows), page=page, pages=pages, total=total, per_page=per_page)
