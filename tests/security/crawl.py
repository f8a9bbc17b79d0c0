"""Every GET route of the application as concrete URLs, filled from the data in the
database, so page-wide checks (headers, inline code, scope) cover routes as they are
added. An argument ``<int:project_id>`` takes ids of table ``project``
(``letter_id`` → ``rectification_letter``), other arguments are taken from the
same row where it has them, ``<code>`` is the jurisdiction the row belongs to."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for

from core.extensions import db

FIXED_ARGUMENTS = {"kind": ["goal", "self_evaluation"], "filename": ["app.css"], "year": [2023], "version": [1]}


@dataclass
class Target:
    endpoint: str
    url: str
    #: Jurisdictions of the objects the URL names (empty: it names none).
    owners: set[int] = field(default_factory=set)


def _query(statement):
    with db.engine.connect() as connection:
        return connection.execute(statement)


def table_for(argument: str) -> sa.Table | None:
    """``project_id`` → project, ``letter_id`` → rectification_letter, ``token_id`` → api_token."""
    stem = argument[:-3]
    tables = [t for t in db.metadata.sorted_tables if "id" in t.columns]
    exact = [t for t in tables if t.name == stem]
    return (exact or [t for t in tables if t.name.endswith("_" + stem)] or [None])[0]


def first_value(column: str):
    """The first value of ``column`` in any table that has it (a survey's slug)."""
    for table in db.metadata.sorted_tables:
        if column in table.columns:
            with db.engine.connect() as connection:
                value = connection.execute(sa.select(table.c[column]).order_by(*table.primary_key.columns)).scalar()
            if value is not None:
                return value
    return None


def jurisdiction_of(table: sa.Table, row: dict, depth: int = 4) -> int | None:
    """The jurisdiction a row belongs to: its jurisdiction_id, or through its foreign
    keys (submission → project → organization → jurisdiction)."""
    if table.name == "jurisdiction":
        return row.get("id")
    if row.get("jurisdiction_id"):
        return row["jurisdiction_id"]
    if depth == 0:
        return None
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        value = row.get(fk.parent.name)
        target = fk.column.table
        if value is None or target is table or target.name == "user_account":
            continue
        with db.engine.connect() as connection:
            parent = connection.execute(sa.select(target).where(fk.column == value)).mappings().first()
        if parent is not None:
            found = jurisdiction_of(target, dict(parent), depth - 1)
            if found:
                return found
    return None


def _argument_sets(rule, per_table: int) -> list[tuple[dict, set[int]]] | None:
    ids = [a for a in rule.arguments if a.endswith("_id")]
    rows, table = [{}], None
    # A table holding every argument (monitoring_report: project_id, year, round_id)
    # names one object; otherwise the last *_id argument picks the table.
    holders = [t for t in db.metadata.sorted_tables
               if len(rule.arguments) > 1 and set(rule.arguments) <= set(t.columns.keys()) | {"code"}]
    if holders:
        table, ids = holders[0], ids or ["id"]
    elif ids:
        table = table_for(ids[-1])
        if table is None:
            return None
    if table is not None:
        with db.engine.connect() as connection:
            rows = [dict(r) for r in connection.execute(
                sa.select(table).order_by(*table.primary_key.columns).limit(per_table)).mappings()]
        if not rows:
            return None
        if not holders:
            rows = [{**row, ids[-1]: row["id"]} for row in rows]
    sets = []
    for row in rows:
        values, owners, ok = {}, set(), True
        owner = jurisdiction_of(table, row) if table is not None else None
        if owner:
            owners.add(owner)
        for argument in rule.arguments:
            if argument in row and argument != "code":
                values[argument] = row[argument]
            elif argument.endswith("_id"):
                other = table_for(argument)
                values[argument] = other is not None and first_value_of(other)
                ok = ok and bool(values[argument])
            elif argument == "code":
                jurisdiction = db.metadata.tables["jurisdiction"]
                query = sa.select(jurisdiction.c.code, jurisdiction.c.id).order_by(jurisdiction.c.id)
                if owner:
                    query = query.where(jurisdiction.c.id == owner)
                code_row = _query(query).first()
                values[argument] = code_row.code
                owners.add(code_row.id)
            elif argument == "slug":
                values[argument] = row.get("slug") or first_value("slug")
                ok = ok and values[argument] is not None
            elif FIXED_ARGUMENTS.get(argument):
                values[argument] = FIXED_ARGUMENTS[argument][0]
            else:
                ok = False
        for argument, value in values.items():  # every object the URL names, not only the row's
            other = table_for(argument) if argument.endswith("_id") else None
            if other is not None and value:
                named = _query(sa.select(other).where(other.c.id == value)).mappings().first()
                owner_of_named = jurisdiction_of(other, dict(named)) if named else None
                if owner_of_named:
                    owners.add(owner_of_named)
        if ok:
            sets.append((values, owners))
            for argument, choices in FIXED_ARGUMENTS.items():
                if argument in rule.arguments:
                    sets += [({**values, argument: choice}, owners) for choice in choices[1:]]
    return sets or None


def first_value_of(table: sa.Table):
    return _query(sa.select(table.c.id).order_by(table.c.id)).scalar()


def targets(app, per_table: int = 3) -> tuple[list[Target], list[str]]:
    """(URLs of every GET route, rules that could not be filled from the data)."""
    found, skipped = [], []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            sets = _argument_sets(rule, per_table)
            if sets is None:
                skipped.append(rule.rule)
                continue
            found += [Target(rule.endpoint, url_for(rule.endpoint, **values), owners) for values, owners in sets]
    return found, skipped
