"""Bulk writes of an import in the session's transaction: COPY on PostgreSQL, multi-row INSERTs on SQLite.

The rows go straight to the driver, converted by the columns' own SQLAlchemy bind processors (so a
timestamp, an enum or a JSON value is stored exactly as an ORM or Core insert would store it), with
the columns' Python-side defaults filled in. Ids are reserved beforehand (from the table's sequence on
PostgreSQL; after the write lock on SQLite, from the largest id), so no statement has to return them.

Measured on 100,000 firms (bench/README.md): insertmanyvalues statements with thousands of placeholders
cost psycopg a parse each; COPY streams the rows.
"""
from __future__ import annotations

import sqlite3
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session


class BulkWriter:
    """Writes rows of dicts into tables on the session's connection (same transaction)."""

    def __init__(self, session: Session):
        self.connection = session.connection()
        self.dialect = self.connection.dialect
        self.postgresql = self.dialect.name == "postgresql"
        self._next_id: dict[str, int] = {}
        self._locked = False

    # Ids ----------------------------------------------------------------------------------------------
    def reserve_ids(self, table: sa.Table, n: int) -> list[int]:
        """n new ids for rows of table, not used by anyone else."""
        if n <= 0:
            return []
        if self.postgresql:
            return list(self.connection.execute(
                sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": n}).scalars())
        self._lock()
        if table.name not in self._next_id:
            self._next_id[table.name] = (self.connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1
        start = self._next_id[table.name]
        self._next_id[table.name] = start + n
        return list(range(start, start + n))

    def _lock(self) -> None:
        """Take SQLite's write lock (a write statement takes it even when it changes no row), so that no
        one else can insert between reading the largest id and writing the rows."""
        if not self._locked:
            self.connection.exec_driver_sql("UPDATE declaration_counts SET id = id WHERE 0")
            self._locked = True

    # Rows -----------------------------------------------------------------------------------------------
    def insert(self, table: sa.Table, rows: list[dict]) -> None:
        """Insert rows (dicts with the same keys); columns not given take their Python-side default."""
        if not rows:
            return
        given = list(rows[0])
        columns = [table.c[name] for name in given]
        defaults = {}
        for column in table.columns:
            if column.name in rows[0] or column.server_default is not None:
                continue
            default = column.default
            if default is None or getattr(default, "is_sequence", False):
                continue
            if default.is_scalar:
                defaults[column.name] = default.arg
            elif default.is_callable:
                defaults[column.name] = default.arg(None)
            else:
                continue
            columns.append(column)
        names = [c.name for c in columns]
        processors = [c.type.dialect_impl(self.dialect).bind_processor(self.dialect) for c in columns]
        fill = [defaults[n] for n in names[len(given):]]

        slots = range(len(columns))
        last_in: list = [object()] * len(columns)
        last_out: list = [None] * len(columns)

        def values(row: dict) -> tuple:
            out = [row[n] for n in given] + fill
            for i in slots:
                value = out[i]
                if value is None or processors[i] is None:
                    continue
                if value is last_in[i]:  # the same object as the row before (the import's timestamp, office)
                    out[i] = last_out[i]
                else:
                    last_in[i], last_out[i] = value, processors[i](value)
                    out[i] = last_out[i]
            return tuple(out)

        quoted = ", ".join(self.dialect.identifier_preparer.quote(n) for n in names)
        table_name = self.dialect.identifier_preparer.format_table(table)
        driver = self.connection.connection.dbapi_connection
        if self.postgresql:
            with driver.cursor() as cursor:
                with cursor.copy(f"COPY {table_name} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(values(row))
        else:
            # Multi-row VALUES, not executemany: each statement opens a savepoint, at which FTS5 writes its
            # pending terms out, so the search index's trigger (migration e5b8d2f4a6c1) cost 70 µs a firm
            # one row a statement and a tenth of that a thousand rows a statement.
            self._lock()
            one = f"({', '.join('?' * len(names))})"
            per_statement = max(1, min(1000, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(names)))
            cursor = driver.cursor()
            try:
                for start in range(0, len(rows), per_statement):
                    chunk = rows[start:start + per_statement]
                    cursor.execute(f"INSERT INTO {table_name} ({quoted}) VALUES {', '.join([one] * len(chunk))}",
                                   [v for row in chunk for v in values(row)])
            finally:
                cursor.close()

    def update(self, table: sa.Table, rows: Iterable[dict], key: str = "id") -> None:
        """UPDATE table SET <the rows' other keys> WHERE key = row[key], one executemany; a table with a
        version_id column (optimistic locking) has it moved on, as the ORM would, so an edit form opened
        before is stale."""
        rows = list(rows)
        if not rows:
            return
        changed = [name for name in rows[0] if name != key]
        values = {name: sa.bindparam("b_" + name) for name in changed}
        if "version_id" in table.c and "version_id" not in values:
            values["version_id"] = table.c.version_id + 1
        stmt = table.update().where(table.c[key] == sa.bindparam("b_" + key)).values(values)
        self.connection.execute(stmt, [{"b_" + k: v for k, v in row.items()} for row in rows])
