"""Change tracking for the oracle: which tables an input wrote (a listener on the engine), their rows before and after,
and the values no table should hold."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select

from backoffice.extensions import db

# Tables the app writes on purpose when it refuses something; their rows are not compared.
EXCLUDED_TABLES = {
    "audit_events": "refusals of protected changes and failed sign-ins leave an audit trace (DomainError.trace)",
    "login_attempts": "failed sign-ins are counted for the throttle",
    "intake_attempts": "the public request form counts submissions per address",
}


class WriteTracker:
    """Tables that committed INSERT/UPDATE/DELETE statements touched since the last `take()`."""

    WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)

    def __init__(self, engine):
        self.engine = engine
        self.committed: set[str] = set()

    def _pending(self, conn) -> set[str]:
        return conn.info.setdefault("fuzz_pending_writes", set())

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        match = self.WRITE.match(statement)
        if match:
            self._pending(conn).add(match.group(1).lower())

    def _commit(self, conn):
        self.committed |= self._pending(conn)
        self._pending(conn).clear()

    def _rollback(self, conn):
        self._pending(conn).clear()

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def take(self) -> set[str]:
        tables, self.committed = self.committed, set()
        return tables


def read_tables(names) -> dict[str, dict[tuple, tuple]]:
    """Every row of each table, by primary key."""
    tables = {table.name: table for table in db.metadata.sorted_tables}
    rows: dict[str, dict[tuple, tuple]] = {}
    with db.engine.connect() as connection:
        for name in names:
            table = tables.get(name)
            if table is None or name in EXCLUDED_TABLES:
                continue
            key = [column.name for column in table.primary_key.columns]
            rows[name] = {
                tuple(getattr(row, k) for k in key): tuple(row)
                for row in connection.execute(select(*table.columns).order_by(*table.primary_key.columns))
            }
    return rows


def with_dependents(names: set[str]) -> set[str]:
    """`names` and every table whose rows the database itself may change with them (ON DELETE CASCADE / SET NULL
    through foreign keys), transitively: a DELETE of a contraindication changes screening answers it never names."""
    tables = {table.name: table for table in db.metadata.sorted_tables}
    found, todo = set(names), list(names)
    while todo:
        parent = todo.pop()
        for table in tables.values():
            if table.name not in found and any(fk.column.table.name == parent for fk in table.foreign_keys):
                found.add(table.name)
                todo.append(table.name)
    return found


def all_table_names() -> list[str]:
    return [table.name for table in db.metadata.sorted_tables if table.name not in EXCLUDED_TABLES]


def changed_rows(before: dict[tuple, tuple], after: dict[tuple, tuple]) -> list[tuple]:
    return [row for key, row in after.items() if before.get(key) != row]


def insane(value: Any) -> str | None:
    """Why a stored value is unfit, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "a NUL character"
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            return "a lone surrogate"
    elif (isinstance(value, Decimal) and not value.is_finite()) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        return f"the number {value}"
    return None
