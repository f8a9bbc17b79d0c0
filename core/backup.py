"""Backup and restore: a portable dump of every table, as gzip'd JSON lines.

``flask --app wsgi backup FILE`` writes, ``flask --app wsgi restore FILE`` reads.

The file is gzip'd UTF-8 text, one JSON document per line:

1. a header: ``{"format": "perfforms-backup", "version": 1, "created_at": …,
   "schema_revision": <alembic revision or null>, "dialect": "sqlite"|"postgresql",
   "tables": [{"name": …, "columns": […], "rows": n}, …]}``;
2. then, table by table in dependency order (parents first), one line per row:
   ``{"t": table, "r": {column: value}}``.

Every table of ``db.metadata.sorted_tables`` is dumped, so tables added by new
modules are included without changes here. Values are written so that they come
back exactly: ``Decimal`` as a string, datetimes in ISO 8601 (aware ones in UTC),
dates and times in ISO 8601, bytes in base64, JSON documents as JSON, booleans,
numbers, strings and NULL as themselves. Reading converts by the *target* column's
type, so a dump from SQLite restores into PostgreSQL and back.

Restore writes only into an empty database (every table empty), in one
transaction, with Core inserts (the audit trail's append-only guard is an ORM
listener; restoring history is not rewriting it), parents before children, and
resets PostgreSQL sequences to the largest restored id. To restore: create a new
database, build the empty schema with ``flask --app wsgi db upgrade`` (not
``init-db``, which also stores the built-in packs), then ``restore``.
"""
from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import IO, Any, Iterable, Iterator

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlalchemy.engine import Connection, Engine

FORMAT = "perfforms-backup"
VERSION = 1
BATCH = 500


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: list[str]
    rows: int


# --------------------------------------------------------------------- values ---

def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, dict, list)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)  # UUIDs, enums: their text form is what the column stores


def _base_type(column: sa.Column) -> sa.types.TypeEngine:
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    return kind


def _decode(value: Any, column: sa.Column, dialect: str) -> Any:
    """A dumped value as the target column wants it."""
    if value is None:
        return None
    kind = _base_type(column)
    if isinstance(kind, sa.JSON):
        return value
    if isinstance(kind, sa.Numeric):  # Float is a Numeric with asdecimal=False
        return Decimal(str(value)) if kind.asdecimal else float(value)
    if isinstance(kind, sa.DateTime):
        moment = datetime.fromisoformat(value)
        if kind.timezone:
            if dialect == "sqlite":
                # SQLite keeps no offset; the application stores and reads UTC there.
                return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        return moment
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Time):
        return time.fromisoformat(value)
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, sa.Boolean):
        return bool(value)
    return value


# --------------------------------------------------------------------- backup ---

def schema_revision(connection: Connection) -> str | None:
    """The Alembic revision of the database, or None (no ``alembic_version`` table)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _order_by(table: sa.Table) -> list:
    return list(table.primary_key.columns) or list(table.columns)


def backup(engine: Engine, metadata: sa.MetaData, out: IO[bytes], *, now: datetime | None = None) -> dict:
    """Write every table of ``metadata`` to ``out`` (a binary file); return the header.

    Reads in one transaction (REPEATABLE READ on PostgreSQL, one read transaction on
    SQLite), so the dump is a consistent snapshot even while the app is writing.
    """
    tables = metadata.sorted_tables
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
                # The sqlite3 module begins transactions only before writes: without this
                # BEGIN every SELECT would see a different moment.
                connection.exec_driver_sql("BEGIN")
            missing = [t.name for t in tables if not sa.inspect(connection).has_table(t.name)]
            if missing:
                raise BackupError(f"the database has no table {', '.join(missing)}: "
                                  "run `flask --app wsgi init-db` (or `db upgrade`) first")
            infos = [TableInfo(t.name, [c.name for c in t.columns],
                               connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                     for t in tables]
            header = {
                "format": FORMAT, "version": VERSION,
                "created_at": (now or datetime.now(timezone.utc)).isoformat(),
                "schema_revision": schema_revision(connection),
                "dialect": connection.dialect.name,
                "tables": [{"name": i.name, "columns": i.columns, "rows": i.rows} for i in infos],
            }
            with gzip.GzipFile(fileobj=out, mode="wb") as packed:
                packed.write(_line(header))
                for table in tables:
                    result = connection.execution_options(stream_results=True).execute(
                        sa.select(table).order_by(*_order_by(table)))
                    for row in result.mappings():
                        packed.write(_line({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}}))
    return header


def _line(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


# -------------------------------------------------------------------- restore ---

def read_header(source: IO[bytes]) -> tuple[dict, Iterator[dict]]:
    """The header and an iterator over the row documents of a backup file."""
    try:
        text = gzip.GzipFile(fileobj=source, mode="rb")
        lines = (json.loads(line) for line in text if line.strip())
        header = next(lines, None)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(f"not a backup file (gzip'd JSON lines expected): {error}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("not a backup file: the first line is not a perfforms-backup header")
    if header.get("version") != VERSION:
        raise BackupError(f"backup format version {header.get('version')} is not supported (expected {VERSION})")
    return header, _checked_lines(lines)


def _checked_lines(lines: Iterator[Any]) -> Iterator[dict]:
    try:
        for number, document in enumerate(lines, start=2):
            if not isinstance(document, dict) or not isinstance(document.get("r"), dict) or "t" not in document:
                raise BackupError(f"line {number} is not a row of the backup")
            yield document
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(f"the backup file is damaged or cut short: {error}") from None


def _check_target(connection: Connection, metadata: sa.MetaData, header: dict) -> dict[str, sa.Table]:
    tables = {t.name: t for t in metadata.sorted_tables}
    inspector = sa.inspect(connection)
    missing = [name for name in tables if not inspector.has_table(name)]
    if missing:
        raise BackupError(f"the target database has no table {', '.join(missing)}: create the empty "
                          "schema first (`flask --app wsgi db upgrade`)")
    unknown = [t["name"] for t in header["tables"] if t["name"] not in tables]
    if unknown:
        raise BackupError(f"the backup holds tables this version does not know: {', '.join(unknown)} "
                          "(restore with the version of the application that wrote it)")
    for info in header["tables"]:
        lost = [c for c in info["columns"] if c not in tables[info["name"]].columns]
        if lost:
            raise BackupError(f"table {info['name']}: the backup has columns this version does not know: "
                              f"{', '.join(lost)}")
    revision, target_revision = header.get("schema_revision"), schema_revision(connection)
    if revision and target_revision and revision != target_revision:
        raise BackupError(f"the backup was written at schema revision {revision}, the target database is at "
                          f"{target_revision}: upgrade both to the same revision first")
    for table in tables.values():
        count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if count:
            raise BackupError(f"the target database is not empty (table {table.name} has {count} rows): "
                              "restore only into a new, empty database")
    return tables


def _deferred_columns(table: sa.Table, position: dict[str, int]) -> list[str]:
    """Foreign-key columns that point at this table or a later one (a tree such as
    jurisdiction.parent_id): inserted as NULL, set once every row is in."""
    later = []
    for fk in table.foreign_keys:
        target = fk.column.table.name
        if position.get(target, -1) >= position[table.name]:
            if not fk.parent.nullable:
                raise BackupError(f"table {table.name}: column {fk.parent.name} refers to {target}, which is "
                                  "restored later, and may not be NULL")
            later.append(fk.parent.name)
    return later


def restore(engine: Engine, metadata: sa.MetaData, source: IO[bytes]) -> dict[str, int]:
    """Load a backup into the empty database of ``engine``; return rows per table.

    All or nothing: one transaction; any refusal or error leaves the database empty.
    """
    header, documents = read_header(source)
    expected = {t["name"]: t["rows"] for t in header["tables"]}
    written: dict[str, int] = {name: 0 for name in expected}
    with engine.begin() as connection:
        dialect = connection.dialect.name
        tables = _check_target(connection, metadata, header)
        position = {name: i for i, name in enumerate(tables)}
        deferred = {name: _deferred_columns(table, position) for name, table in tables.items()}
        pending_updates: list[tuple[sa.Table, dict]] = []
        batch: list[dict] = []
        current: sa.Table | None = None
        seen: list[str] = []

        def flush() -> None:
            if batch:
                connection.execute(sa.insert(current), batch)
                batch.clear()

        for document in documents:
            name = document["t"]
            if current is None or name != current.name:
                flush()
                if name not in expected or name in seen:
                    raise BackupError(f"the backup is damaged: rows of table {name} out of place")
                if seen and position[name] < position[seen[-1]]:
                    raise BackupError(f"the backup is damaged: table {name} comes after a table that needs it")
                seen.append(name)
                current = tables[name]
            row = {key: _decode(value, current.columns[key], dialect) for key, value in document["r"].items()}
            if deferred[name]:
                later = {key: row[key] for key in deferred[name] if row.get(key) is not None}
                if later:
                    pending_updates.append((current, {**_key_of(current, row), **later}))
                    row.update({key: None for key in later})
            batch.append(row)
            written[name] += 1
            if len(batch) >= BATCH:
                flush()
        flush()
        for table, values in pending_updates:
            key = _key_of(table, values)
            connection.execute(sa.update(table).where(*(table.columns[k] == v for k, v in key.items()))
                               .values({k: v for k, v in values.items() if k not in key}))
        short = {name: (written[name], rows) for name, rows in expected.items() if written[name] != rows}
        if short:
            details = ", ".join(f"{name} {got} of {rows}" for name, (got, rows) in short.items())
            raise BackupError(f"the backup is incomplete (rows read: {details}); nothing was restored")
        if dialect == "postgresql":
            reset_sequences(connection, tables.values())
    return written


def _key_of(table: sa.Table, row: dict) -> dict:
    return {column.name: row[column.name] for column in table.primary_key.columns}


def reset_sequences(connection: Connection, tables: Iterable[sa.Table]) -> None:
    """PostgreSQL: move each table's id sequence to its largest id (next insert gets max + 1)."""
    preparer = connection.dialect.identifier_preparer
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(_base_type(keys[0]), sa.Integer):
            continue
        column = keys[0]
        connection.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX({preparer.quote(column.name)}), 1), "
            f"MAX({preparer.quote(column.name)}) IS NOT NULL) FROM {preparer.format_table(table)}"),
            {"table": preparer.format_table(table), "column": column.name})


# ------------------------------------------------------------------------ CLI ---

@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file: str) -> None:
    """Write every table to FILE (gzip'd JSON lines; see core/backup.py)."""
    from core.extensions import db

    try:
        with open(file, "wb") as out:
            header = backup(db.engine, db.metadata, out)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = sum(t["rows"] for t in header["tables"])
    click.echo(f"backed up {rows} rows of {len(header['tables'])} tables to {file} "
               f"(schema revision {header['schema_revision'] or 'none'})")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(file: str) -> None:
    """Load FILE, written by `backup`, into this empty database (all or nothing)."""
    from core.extensions import db

    try:
        with open(file, "rb") as source:
            written = restore(db.engine, db.metadata, source)
    except BackupError as error:
        raise click.ClickException(f"{file}: {error}") from None
    click.echo(f"restored {sum(written.values())} rows of {len(written)} tables from {file}")
