"""Writing one submission — its response row, answer rows and counter deltas — cheaply.

The final submit is the platform's hottest write (a poster in a waiting room, a
WeChat group of a thousand retirees), so it is measured against a bare one-row
insert (bench/bench_survey_submit.py) and written with as little machinery as
the database allows. Nothing is deferred; the caller owns the transaction.

- **PostgreSQL: one statement, one round trip.** Data-modifying CTEs insert the
  response (``RETURNING id``), its answers (``json_to_recordset`` of one JSON
  parameter: psycopg adapts Python lists to arrays element by element in Python,
  measured 40% of the statement's client CPU, where ``json.dumps`` is C) and add
  the counter deltas (``INSERT … ON CONFLICT DO UPDATE``). The SQL text does not
  depend on the number of answers, so psycopg prepares it once per connection.
- **SQLite: three statements** — the response, the answers and the counters with
  ``executemany``. In-process there are no round trips to save.
- Both run on the DB-API connection under a SQLAlchemy Core ``Connection``, with
  the statements built once and the columns' own bind processors (JSON, dates as
  SQLAlchemy stores them): what costs on this path is SQLAlchemy's per-statement
  execution context (≈ 30–50 µs a statement, more than SQLite's own work for the
  23 rows). Reads on the submission path (:func:`fetch_one`: the survey row with
  the duplicate-device check) run the same way.
- **The public pages keep out of the ORM session** (:func:`public_connection`): they
  load no objects, and a session's transaction bookkeeping — begin, connection
  lookup, close at teardown — measured 80 µs a request against 20 µs for a pooled
  Core connection, more than SQLite's commit. Other callers (the owner's tools,
  tests, bulk loads) pass the session's connection and commit the session.
- **PostgreSQL, open mode: autocommit** (``public_connection(autocommit=True)``): the
  one statement is its own transaction, three round trips (pool ping, survey row,
  insert) instead of five (no BEGIN, no COMMIT). Invitation mode keeps a
  transaction: the code is consumed by an ``UPDATE`` that must commit or roll back
  with the response.
"""
from __future__ import annotations

import json

from flask import g
from sqlalchemy import text
from sqlalchemy.engine import Connection

from core.extensions import db
from survey import tally
from survey.models import SurveyAnswer, SurveyResponse, SurveyTally

RESPONSE_COLUMNS = ("survey_id", "answers", "started_at", "submitted_at", "device_hash", "form_key",
                    "invalid_reason", "excluded", "score")


class AlreadyStored(Exception):
    """This questionnaire (its ``form_key``) was stored already: a double tap, or the
    same page sent again. Nothing was written; the caller rolls back."""
ANSWER_COLUMNS = ("survey_id", "response_id", "question_id", "item_id", "choice", "value", "text")
TALLY_COLUMNS = ("survey_id", "shard", "question_id", "item_id", "choice", "valid", "total", "value")


def insert_submission(connection: Connection, response: dict, rows: list[dict], changes: list[tuple]) -> int:
    """Insert ``response`` (RESPONSE_COLUMNS), its answer ``rows`` and the counter
    ``changes`` (``survey.tally.deltas``) on ``connection``, in its transaction (the
    caller commits); return the response id.

    :raises AlreadyStored: a response with the same ``form_key`` exists.
    """
    raw = connection.connection.driver_connection
    # The platform runs on these two (README); a third would need its own function here.
    write = _postgresql if connection.dialect.name == "postgresql" else _sqlite
    try:
        return write(connection, raw, response, rows, changes)
    except connection.dialect.dbapi.IntegrityError as error:
        if "form_key" in str(error):  # the constraint's name (PostgreSQL) or its columns (SQLite)
            raise AlreadyStored() from None
        raise


# --- PostgreSQL -----------------------------------------------------------------------------------------------

_PG_SUBMISSION = text("""
WITH response AS (
    INSERT INTO survey_response (survey_id, answers, started_at, submitted_at, device_hash, form_key,
                                 invalid_reason, excluded, score)
    VALUES (:survey_id, :answers, :started_at, :submitted_at, :device_hash, :form_key, :invalid_reason, :excluded,
            :score)
    RETURNING id
), answers AS (
    INSERT INTO survey_answer (survey_id, response_id, question_id, item_id, choice, value, text)
    SELECT :survey_id, response.id, a.question_id, a.item_id, a.choice, a.value, a.text
    FROM response, json_to_recordset(CAST(:rows AS json))
                   AS a(question_id varchar, item_id varchar, choice varchar, value numeric, text text)
), counters AS (
    INSERT INTO survey_tally (survey_id, shard, question_id, item_id, choice, valid, total, value)
    SELECT :survey_id, :shard, t.question_id, t.item_id, t.choice, t.valid, t.total, t.value
    FROM ROWS FROM (json_to_recordset(CAST(:changes AS json))
                    AS (question_id varchar, item_id varchar, choice varchar, valid integer, total integer,
                        value numeric))
         WITH ORDINALITY AS t(question_id, item_id, choice, valid, total, value, n)
    ORDER BY t.n  -- the deltas' sorted key order (survey.tally): no two submissions lock in opposite orders
    ON CONFLICT (survey_id, shard, question_id, item_id, choice)
    DO UPDATE SET valid = survey_tally.valid + excluded.valid, total = survey_tally.total + excluded.total
)
SELECT id FROM response
""")
_CHANGE_KEYS = ("question_id", "item_id", "choice", "valid", "total", "value")
_PROCESSORS: dict = {}


def _response_values(dialect, response: dict) -> list:
    """The response's values in RESPONSE_COLUMNS order, through the columns' bind processors."""
    processors = _PROCESSORS.get(dialect)
    if processors is None:
        table = SurveyResponse.__table__
        processors = _PROCESSORS[dialect] = tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                                                  for name in RESPONSE_COLUMNS)
    return [process(response[name]) if process else response[name]
            for process, name in zip(processors, RESPONSE_COLUMNS)]


def _postgresql(connection, raw, response: dict, rows: list[dict], changes: list[tuple]) -> int:
    params = dict(zip(RESPONSE_COLUMNS, _response_values(connection.dialect, response)),
                  shard=tally.shard(), rows=json.dumps(rows, ensure_ascii=False),
                  changes=json.dumps([dict(zip(_CHANGE_KEYS, change)) for change in changes], ensure_ascii=False))
    cursor = raw.cursor()
    try:
        cursor.execute(_sql(_PG_SUBMISSION, connection.dialect).string, params)
        return cursor.fetchone()[0]
    finally:
        cursor.close()


# --- SQLite ---------------------------------------------------------------------------------------------------

def _statement(table, columns, suffix: str = "") -> str:
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}){suffix}"


_SQLITE_RESPONSE = _statement(SurveyResponse.__table__, RESPONSE_COLUMNS)
_SQLITE_ANSWERS = _statement(SurveyAnswer.__table__, ANSWER_COLUMNS)
_SQLITE_TALLY = _statement(SurveyTally.__table__, TALLY_COLUMNS,
                           " ON CONFLICT (survey_id, shard, question_id, item_id, choice) DO UPDATE SET"
                           " valid = valid + excluded.valid, total = total + excluded.total")


def _sqlite(connection, raw, response: dict, rows: list[dict], changes: list[tuple]) -> int:
    cursor = raw.cursor()
    try:
        cursor.execute(_SQLITE_RESPONSE, _response_values(connection.dialect, response))
        response_id = cursor.lastrowid
        survey_id = response["survey_id"]
        if rows:
            cursor.executemany(_SQLITE_ANSWERS, [
                (survey_id, response_id, r["question_id"], r["item_id"], r["choice"], r["value"], r["text"])
                for r in rows])
        if changes:
            shard = tally.shard()
            cursor.executemany(_SQLITE_TALLY, [(survey_id, shard, *change) for change in changes])
    finally:
        cursor.close()
    return response_id


# --- the public pages' connection ----------------------------------------------------------------------------

_PUBLIC = "survey_public_connection"


def public_connection(*, autocommit: bool | None = None) -> Connection:
    """The pooled Core connection the public pages of this request read and write on,
    opened on first use and returned to the pool when the request ends
    (:func:`release_public_connection`).

    :param autocommit: None: the connection as it was opened (an ordinary one if none
        was). True, PostgreSQL only, asked before the request's first query: run in
        autocommit (SQLAlchemy's ``AUTOCOMMIT`` isolation level, reset when the
        connection goes back to the pool) — for an open-mode final submit, whose only
        write is :func:`insert_submission`'s one statement. Asked differently after
        the first query (False: the survey turned out to use invitations), the
        connection is released and a new one opened. Not on SQLite: there the
        submission is three statements, and switching the driver's mode costs more
        than the BEGIN it saves.
    """
    wanted = bool(autocommit) and db.engine.dialect.name == "postgresql"
    held = g.get(_PUBLIC)
    if held is not None:
        if autocommit is None or _autocommits(held) == wanted:
            return held
        release_public_connection()
    connection = db.engine.connect()
    if wanted:
        connection.execution_options(isolation_level="AUTOCOMMIT")
    setattr(g, _PUBLIC, connection)
    return connection


def _autocommits(connection: Connection) -> bool:
    return connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


def release_public_connection(error: BaseException | None = None) -> None:
    """Return this request's public connection to the pool (a teardown): anything it did
    not commit is rolled back."""
    held = g.pop(_PUBLIC, None)
    if held is not None:
        held.close()


# --- reads ----------------------------------------------------------------------------------------------------

_COMPILED: dict = {}


def _sql(statement, dialect):
    """``statement`` compiled for ``dialect``, once per process."""
    key = (id(statement), dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None or compiled[0] is not statement:
        compiled = _COMPILED[key] = (statement, statement.compile(dialect=dialect))
    return compiled[1]


def fetch_one(connection: Connection, statement, params: dict) -> tuple | None:
    """The first row of a prebuilt Core ``statement`` on ``connection`` (plain column
    values, no type processing: use it for integers and strings)."""
    compiled = _sql(statement, connection.dialect)
    values = compiled.construct_params(params)
    if compiled.positional:
        values = tuple(values[name] for name in compiled.positiontup)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(compiled.string, values)
        return cursor.fetchone()
    finally:
        cursor.close()
