"""What one erasure's restricted records take with them when they go, found by the database's own foreign keys.

The records named (an invoice, its payments, an offer, a hospital bill, a sent letter, ...) go with every row that
cannot exist without them: a row whose reference to one of them may not be empty (or is deleted with it, ON DELETE
CASCADE) is their child (invoice lines and deductions, offer items and instalments, bill lines and findings, supplier
invoice lines and findings, a message's attachments), and so on down. A row that only may point at one of them (an
undeliverable address's last message) is kept with that reference emptied. A table added later is covered without
anyone remembering it.

Two things stop the group instead: a record of the operator's books (a row of `RECORD_TABLES`) that is not in the
group but cannot exist without it, or that points at it; and a row of the group, or a row whose reference would be
emptied, that belongs to such a record (a kept invoice's deduction or line). Deleting or changing a kept record is
not this job's to decide, so the group waits and the refusal is reported. The accountant's bookings
(`datev_bookings`) name their invoice or payment by number with no foreign key: they are the books (kept longer than
the invoices) and stay as they are.

The rows go by SQL statements, not through the ORM: the guard that refuses any change to an issued invoice
(`invoicing.immutability`, at flush) watches objects, and this deletion at the end of the legal period is the one
change to an issued invoice the law asks for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import ForeignKey, Table, delete, select, update

from backoffice.extensions import db
from backoffice.rights import erasing
from backoffice.rights.exporting import FILES
from backoffice.storage import retention
from backoffice.storage.models import StoredFile

# Records in their own right: the law keeps each of them, and an erasure names them as restricted records. One of
# these is never deleted or changed as another record's dependant.
RECORD_TABLES = erasing.RESTRICTED_RECORDS  # the tables an erasure names records of


@dataclass
class Plan:
    """The rows going (table -> ids), the references of kept rows to empty, and what holds the group back."""

    going: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    emptied: list[tuple[Table, ForeignKey]] = field(default_factory=list)
    held_by: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {table: len(ids) for table, ids in sorted(self.going.items()) if ids}

    @property
    def row_count(self) -> int:
        return sum(len(ids) for ids in self.going.values())


def _is_child(key: ForeignKey) -> bool:
    """A row pointing through `key` cannot outlive the row it points at."""
    return not key.parent.nullable or (key.ondelete or "").upper() == "CASCADE"


def _references(table_names) -> list[tuple[Table, ForeignKey]]:
    return [
        (table, key)
        for table in db.metadata.sorted_tables
        for key in table.foreign_keys
        if key.column.table.name in table_names and key.column.name == "id"
    ]


def plan(named: dict[str, set[int]]) -> Plan:
    """The named rows still there, their children down to the last, and the references of kept rows to them."""
    tables = db.metadata.tables
    found = Plan()
    for table_name, ids in named.items():
        table = tables[table_name]
        found.going[table_name] |= set(db.session.scalars(select(table.c.id).where(table.c.id.in_(ids))))
    frontier = {name: set(ids) for name, ids in found.going.items() if ids}
    while frontier:
        reached: dict[str, set[int]] = defaultdict(set)
        for table, key in _references(frontier):
            if not _is_child(key):
                continue
            pointing = key.parent.in_(frontier[key.column.table.name])
            if "id" not in table.c:
                if db.session.scalar(select(key.parent).where(pointing).limit(1)) is not None:
                    found.held_by.append(table.name)
                continue
            for row_id in db.session.scalars(select(table.c.id).where(pointing)):
                if row_id in found.going[table.name]:
                    continue
                if table.name in RECORD_TABLES:
                    found.held_by.append(f"{table.name} {row_id}")
                else:
                    reached[table.name].add(row_id)
        for table_name, ids in reached.items():
            found.going[table_name] |= ids
        frontier = reached
    for table_name, ids in found.going.items():
        if ids and table_name not in RECORD_TABLES:  # a child row of a kept record (a kept invoice's deduction)
            found.held_by += _kept_owners(tables[table_name], tables[table_name].c.id.in_(ids), found)
    for table, key in _references({name for name, ids in found.going.items() if ids}):
        if _is_child(key):
            continue
        kept = key.parent.in_(found.going[key.column.table.name])
        if "id" in table.c and found.going.get(table.name):
            kept &= table.c.id.not_in(found.going[table.name])
        if db.session.scalar(select(key.parent).where(kept).limit(1)) is None:
            continue
        if table.name in RECORD_TABLES:
            found.held_by += [
                f"{table.name} {row_id}" for row_id in db.session.scalars(select(table.c.id).where(kept).limit(5))
            ]
        elif held := _kept_owners(table, kept, found):
            found.held_by += held  # emptying it would change a kept record (a kept invoice's line)
        else:
            found.emptied.append((table, key))
    return found


def _kept_owners(table: Table, rows, found: Plan) -> list[str]:
    """The records of the books, not going, that the `rows` of `table` belong to (their child references)."""
    owners = []
    for key in table.foreign_keys:
        owner = key.column.table.name
        if owner not in RECORD_TABLES or key.column.name != "id" or not _is_child(key):
            continue
        query = select(key.parent).where(rows, key.parent.is_not(None))
        if found.going.get(owner):
            query = query.where(key.parent.not_in(found.going[owner]))
        owners += [f"{owner} {row_id}" for row_id in db.session.scalars(query.distinct().limit(5))]
    return owners


def files_of(found: Plan) -> tuple[list[StoredFile], int]:
    """The stored files of the rows going that are still there (locked kinds first, so that a store's own lock
    refuses before anything went), and how many the rows name that were never recorded (nothing to delete)."""
    keys: set[str] = set()
    for table_name, (prefix, column, _digest, _name) in FILES.items():
        ids = found.going.get(table_name)
        if not ids:
            continue
        table = db.metadata.tables[table_name]
        names = db.session.scalars(select(table.c[column]).where(table.c.id.in_(ids), table.c[column].is_not(None)))
        keys |= {prefix + name for name in names if name}
    if not keys:
        return [], 0
    recorded = list(db.session.scalars(select(StoredFile).where(StoredFile.key.in_(keys))))
    present = [row for row in recorded if row.deleted_at is None]
    present.sort(key=lambda row: (row.kind not in retention.LOCKED_KINDS, row.key))
    return present, len(keys) - len(recorded)


def delete_rows(found: Plan) -> int:
    """Empty the kept rows' references, then delete the rows going, children before parents. Flushes; returns how
    many references were emptied."""
    db.session.flush()
    emptied = 0
    for table, key in found.emptied:
        statement = (
            update(table).where(key.parent.in_(found.going[key.column.table.name])).values({key.parent.name: None})
        )
        if "id" in table.c and found.going.get(table.name):
            statement = statement.where(table.c.id.not_in(found.going[table.name]))
        emptied += db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
    for table in reversed(db.metadata.sorted_tables):
        ids = found.going.get(table.name)
        if ids:
            db.session.execute(delete(table).where(table.c.id.in_(ids)).execution_options(synchronize_session=False))
    return emptied
