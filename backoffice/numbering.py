"""Gapless numbers per series and year (case numbers now; invoice and credit-note numbers later).

The counter row is incremented with one `UPDATE ... RETURNING` inside the caller's transaction: PostgreSQL locks the
row until that transaction ends and SQLite takes its write lock, so two transactions never get the same number and a
rolled-back transaction gives its number back.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.extensions import db


class NumberSeries(db.Model):
    __tablename__ = "number_series"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


def next_number(series: str, year: int) -> int:
    """The next number of `series` in `year`, starting at 1, held by the current transaction."""
    return reserve_numbers(series, year, 1)


def reserve_numbers(series: str, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers of a series for a year; returns the first of them.

    Bulk loads reserve a block in one statement instead of asking once per row; the series stays gapless.
    """
    if count < 1:
        raise ValueError("reserve at least one number")
    bump = (
        update(NumberSeries)
        .where(NumberSeries.series == series, NumberSeries.year == year)
        .values(last_number=NumberSeries.last_number + count)
        .returning(NumberSeries.last_number)
    )
    last = db.session.execute(bump).scalar()
    if last is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(NumberSeries).values(series=series, year=year, last_number=count))
            last = count
        except IntegrityError:
            # Another transaction opened the year's series first; its row exists now.
            last = db.session.execute(bump).scalar_one()
    return last - count + 1
