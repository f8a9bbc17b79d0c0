"""The results page's counts, kept as answers arrive: the ``survey_tally`` table.

Why: aggregating the answers at read time needed a covering index on
``survey_answer`` led by question and choice, and every submission then wrote one
index page per answer (≈ 19 WAL pages per commit on SQLite instead of a handful).
Now a submission adds its deltas to a few dozen counter rows, and the results page
reads those rows — whatever the number of responses.

Invariant (tests/survey/test_tally.py): summed over the shards, for every
(question, item, choice), ``total`` = the answer rows with that choice, ``valid``
= those of responses not excluded; ``choice = ""`` rows count the *responses*
that answered a multiple-choice question. Every path that adds answers or changes
``excluded`` goes through :func:`deltas` and :func:`apply` (or the submission's
one statement in ``survey.store``), in the same transaction; :func:`rebuild`
recomputes a survey's rows from the answers (migration, bulk loads, repair).

Contention: on PostgreSQL a counter row stays locked until its transaction
commits, so two simultaneous submissions to one survey would queue on the same
rows; each transaction picks one of :data:`SHARDS` shards at random, and keys are
written in sorted order so two transactions never lock rows in opposite orders.
"""
from __future__ import annotations

import random
from typing import Iterable

from sqlalchemy import SmallInteger, String, case, cast, delete, func, literal, null, select
from sqlalchemy.dialects import postgresql, sqlite

from core.definitions.model import FormDefinition
from core.extensions import db
from survey.models import SurveyAnswer, SurveyResponse, SurveyTally

#: PostgreSQL: counter rows per key, so concurrent writers rarely meet on a row lock.
SHARDS = 16
#: ``choice`` of the rows counting a multiple-choice question's respondents.
RESPONDENTS = ""

_TABLE = SurveyTally.__table__


def shard() -> int:
    """The shard this transaction writes to (SQLite serialises writers: one shard)."""
    return 0 if db.engine.dialect.name == "sqlite" else random.randrange(SHARDS)


_MULTI: dict[int, tuple[FormDefinition, frozenset]] = {}


def multi_choice_ids(definition: FormDefinition) -> frozenset:
    """Ids of the questionnaire's multiple-choice questions (cached per immutable definition)."""
    cached = _MULTI.get(id(definition))
    if cached is None or cached[0] is not definition:
        if len(_MULTI) > 512:
            _MULTI.clear()
        cached = _MULTI[id(definition)] = (definition, frozenset(f.id for f in definition.fields
                                                                  if f.type == "multi_choice"))
    return cached[1]


def deltas(definition: FormDefinition, rows: Iterable[dict], *, valid: int, total: int) -> list[tuple]:
    """``(question, item, choice, valid, total, value)`` for one response's answer rows, sorted.

    ``valid``/``total``: what each counted answer adds (a new valid response: 1, 1; a
    new flagged one: 0, 1; excluding a stored one: -1, 0; including it again: 1, 0).
    """
    multi = multi_choice_ids(definition)
    keyed: dict[tuple, object] = {}
    for row in rows:
        choice = row["choice"]
        if choice is None:  # free text: listed, not counted
            continue
        keyed[(row["question_id"], row["item_id"], choice)] = row["value"]
        if row["question_id"] in multi:
            keyed[(row["question_id"], "", RESPONDENTS)] = None
    return [(q, i, c, valid, total, value) for (q, i, c), value in sorted(keyed.items())]


def _upsert(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_TABLE)
    return stmt.on_conflict_do_update(
        index_elements=[c.name for c in _TABLE.primary_key.columns],
        set_={"valid": _TABLE.c.valid + stmt.excluded.valid, "total": _TABLE.c.total + stmt.excluded.total})


_UPSERTS = {name: _upsert(name) for name in ("postgresql", "sqlite")}


def apply(survey_id: int, changes: list[tuple]) -> None:
    """Add ``changes`` (from :func:`deltas`) to the survey's counters, in the session's transaction."""
    if not changes:
        return
    at = shard()
    db.session.execute(_UPSERTS[db.engine.dialect.name], [
        {"survey_id": survey_id, "shard": at, "question_id": q, "item_id": i, "choice": c, "valid": v, "total": t,
         "value": value} for q, i, c, v, t, value in changes])


def response_answer_rows(survey_id: int, response_id: int) -> list[dict]:
    """A stored response's counted answer rows (the normalised answers are the truth)."""
    return [dict(row._mapping) for row in db.session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.item_id, SurveyAnswer.choice, SurveyAnswer.value)
        .where(SurveyAnswer.survey_id == survey_id, SurveyAnswer.response_id == response_id))]


# --- reading ------------------------------------------------------------------------------------------------

def by_choice(survey_id: int) -> dict[tuple, tuple[int, int, float | None]]:
    """(question, item, choice) → (valid, total, score) summed over the shards."""
    query = (select(_TABLE.c.question_id, _TABLE.c.item_id, _TABLE.c.choice, func.sum(_TABLE.c.valid),
                    func.sum(_TABLE.c.total), func.max(_TABLE.c.value))
             .where(_TABLE.c.survey_id == survey_id, _TABLE.c.choice != RESPONDENTS)
             .group_by(_TABLE.c.question_id, _TABLE.c.item_id, _TABLE.c.choice))
    return {(q, i, c): (int(v or 0), int(t or 0), value) for q, i, c, v, t, value in db.session.execute(query)}


def respondents(survey_id: int, question_ids: list[str]) -> dict[str, int]:
    """question → valid responses that answered it (kept for multiple-choice questions)."""
    if not question_ids:
        return {}
    return {q: int(n or 0) for q, n in db.session.execute(
        select(_TABLE.c.question_id, func.sum(_TABLE.c.valid))
        .where(_TABLE.c.survey_id == survey_id, _TABLE.c.choice == RESPONDENTS,
               _TABLE.c.question_id.in_(question_ids))
        .group_by(_TABLE.c.question_id))}


# --- rebuilding ---------------------------------------------------------------------------------------------

def rebuild(survey_id: int, definition: FormDefinition) -> None:
    """Recompute the survey's counters from its answers (in shard 0), in the session's transaction."""
    db.session.execute(delete(_TABLE).where(_TABLE.c.survey_id == survey_id))
    db.session.execute(_TABLE.insert().from_select(
        ["survey_id", "shard", "question_id", "item_id", "choice", "valid", "total", "value"],
        aggregate(survey_id, multi_choice_ids(definition))))


def aggregate(survey_id: int, multi_choice: Iterable[str] = ()):
    """The counters as one ``GROUP BY`` over the answers: :func:`rebuild`'s source and the
    tests' reference."""
    a, r = SurveyAnswer.__table__, SurveyResponse.__table__
    valid = func.sum(case((r.c.excluded.is_(True), 0), else_=1))
    joined = a.join(r, r.c.id == a.c.response_id)
    choices = (select(a.c.survey_id, literal(0, SmallInteger), a.c.question_id, a.c.item_id, a.c.choice,
                      valid, func.count(), func.max(a.c.value))
               .select_from(joined).where(a.c.survey_id == survey_id, a.c.choice.is_not(None))
               .group_by(a.c.survey_id, a.c.question_id, a.c.item_id, a.c.choice))
    multi = list(multi_choice)
    if not multi:
        return choices
    answered = (select(a.c.survey_id, a.c.response_id, a.c.question_id, r.c.excluded).distinct()
                .select_from(joined).where(a.c.survey_id == survey_id, a.c.question_id.in_(multi),
                                           a.c.choice.is_not(None)).subquery())
    per_question = (select(answered.c.survey_id, literal(0, SmallInteger), answered.c.question_id,
                           literal("", String), literal(RESPONDENTS, String),
                           func.sum(case((answered.c.excluded.is_(True), 0), else_=1)), func.count(),
                           cast(null(), SurveyTally.value.type))
                    .group_by(answered.c.survey_id, answered.c.question_id))
    return choices.union_all(per_question)
