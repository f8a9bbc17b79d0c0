"""Writing one submission — its response row, answer rows and counter deltas — cheaply.

The final submit is the platform's hottest write (a poster in a waiting room, a
WeChat group of a thousand retirees), so it is measured against a bare one-row
insert (bench/bench_survey_submit.py) and written with as little machinery as
the database allows. Same session, same transaction, nothing deferred; the
caller commits, or asks :func:`insert_submission` to (``commit=True``).

- **PostgreSQL: one statement, one round trip.** Data-modifying CTEs insert the
  response (``RETURNING id``), its answers (``json_to_recordset`` of one JSON
  parameter: psycopg adapts Python lists to arrays element by element in Python,
  measured 40% of the statement's client CPU, where ``json.dumps`` is C) and add
  the counter deltas (``INSERT … ON CONFLICT DO UPDATE``). The SQL text does not
  depend on the number of answers, so psycopg prepares it once per connection.
- **SQLite: three statements** — the response, the answers and the counters with
  ``executemany``. In-process there are no round trips to save.
- Both run on the session's own DB-API connection, with the statements built
  once and the columns' own bind processors (JSON, dates as SQLAlchemy stores
  them): what costs on this path is SQLAlchemy's per-statement execution context
  (≈ 30–50 µs a statement, more than SQLite's own work for the 23 rows).
- **Reads on the submission path** (:func:`fetch_one`: the survey row with the
  duplicate-device check) run the same way.
- **The submission commits itself** (``commit=True``): on the DB-API connection —
  the ORM's commit bookkeeping costs more than SQLite's commit. On PostgreSQL an open-mode request runs in autocommit
  (:func:`autocommit_submission`): the one statement is its own transaction, three
  round trips (pool ping, survey row, insert) instead of five (no BEGIN, no
  COMMIT). Invitation mode keeps a transaction: the code is consumed by an
  ``UPDATE`` that must commit or roll back with the response.
"""
from __future__ import annotations

import json

from sqlalchemy import text

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


def insert_submission(response: dict, rows: list[dict], changes: list[tuple], *, commit: bool = False) -> int:
    """Insert ``response`` (RESPONSE_COLUMNS), its answer ``rows`` and the counter
    ``changes`` (``survey.tally.deltas``); return the response id.

    :param commit: commit the session's transaction — everything it executed, e.g. an
        invitation code's ``UPDATE`` — on the DB-API connection (the ORM's commit
        bookkeeping costs more than SQLite's commit itself); the session's connection is
        released when the request ends, as after any commit. Refused with ORM changes
        pending (they would not be flushed).
    """
    session = db.session()
    if commit and (session.new or session.dirty or session.deleted):
        raise RuntimeError("insert_submission(commit=True) with ORM changes pending: commit the session")
    connection = session.connection()  # the session's transaction, begun if need be
    raw = connection.connection.driver_connection
    # The platform runs on these two (README); a third would need its own function here.
    write = _postgresql if connection.dialect.name == "postgresql" else _sqlite
    try:
        response_id = write(connection, raw, response, rows, changes)
    except connection.dialect.dbapi.IntegrityError as error:
        if "form_key" in str(error):  # the constraint's name (PostgreSQL) or its columns (SQLite)
            raise AlreadyStored() from None
        raise
    if commit:
        raw.commit()  # a no-op in autocommit (autocommit_submission): the statement committed itself
        session.expire_all()  # what Session.commit would do to loaded objects (none in a public request)
    return response_id


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


# --- autocommit on PostgreSQL --------------------------------------------------------------------------------

def autocommit_submission() -> bool:
    """Before the request's first query, on PostgreSQL: run the session in autocommit
    (SQLAlchemy's ``AUTOCOMMIT`` isolation level, reset when the connection goes back
    to the pool), for a request whose only write is :func:`insert_submission`'s one
    statement — an open-mode submission. Returns whether it did; :func:`end_autocommit`
    returns to an ordinary transaction (the survey turned out to use invitations).
    Not on SQLite: there the submission is three statements, and switching the
    driver's mode costs more than the BEGIN it saves."""
    if db.engine.dialect.name != "postgresql" or db.session().in_transaction():
        return False
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


def end_autocommit() -> None:
    db.session.close()  # releases the connection (its isolation level reset); the next query begins anew


# --- reads ----------------------------------------------------------------------------------------------------

_COMPILED: dict = {}


def _sql(statement, dialect):
    """``statement`` compiled for ``dialect``, once per process."""
    key = (id(statement), dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None or compiled[0] is not statement:
        compiled = _COMPILED[key] = (statement, statement.compile(dialect=dialect))
    return compiled[1]


def fetch_one(statement, params: dict) -> tuple | None:
    """The first row of a prebuilt Core ``statement`` (plain column values, no type
    processing: use it for integers and strings), in the session's transaction."""
    connection = db.session.connection()
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
