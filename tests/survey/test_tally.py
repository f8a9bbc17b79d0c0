"""The results' counters (survey_tally) always equal a GROUP BY over the normalised answers."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.extensions import db
from survey import results, tally
from survey.models import SurveyAnswer, SurveyResponse, SurveyTally
from survey.service import definition_of, set_excluded, store_response
from tests.survey.test_owner import NOW, STRAIGHT, fields

#                  timely amount convenient informed staff overall
ANSWERS = [("5", "4", "5", "3", "4", "4"), ("4", "4", "3", "3", "5", "3"), ("5", "5", "5", "4", "5", "5"), STRAIGHT]


def submit(survey, row, n, channel=("unit", "wechat")):
    answers = dict(fields(row, suggestion=f"第{n}条意见"), channel=list(channel), age="70")
    return store_response(survey, answers, started_at=NOW, device=f"device-{n}", now=NOW + timedelta(minutes=3))


def counters(survey) -> dict:
    """(question, item, choice) → (valid, total), summed over the shards."""
    rows = db.session.execute(
        select(SurveyTally.question_id, SurveyTally.item_id, SurveyTally.choice, func.sum(SurveyTally.valid),
               func.sum(SurveyTally.total))
        .where(SurveyTally.survey_id == survey.id)
        .group_by(SurveyTally.question_id, SurveyTally.item_id, SurveyTally.choice)).all()
    return {(q, i, c): (int(v), int(t)) for q, i, c, v, t in rows if t or v}


def reference(survey) -> dict:
    """The same counts straight from the answers (survey.tally.aggregate, the rebuild's query)."""
    multi = tally.multi_choice_ids(definition_of(survey))
    rows = db.session.execute(tally.aggregate(survey.id, multi)).all()
    return {(q, i, c): (int(v), int(t)) for _s, _shard, q, i, c, v, t, _value in rows}


def test_counters_follow_submissions_exclusions_and_inclusions(app, futian):
    survey = futian.survey()
    for n, row in enumerate(ANSWERS):
        submit(survey, row, n, channel=("unit",) if n == 1 else ("unit", "wechat"))
    db.session.commit()
    assert counters(survey) == reference(survey)
    got = counters(survey)
    # four responses, the straight-lined one flagged: counted in total, not in valid
    assert got[("payment", "timely", "5")] == (2, 2) and got[("payment", "timely", "1")] == (0, 1)
    assert got[("channel", "", "unit")] == (3, 4) and got[("channel", "", "wechat")] == (2, 3)
    assert got[("channel", "", tally.RESPONDENTS)] == (3, 4)  # respondents of the multiple choice
    assert not any(question == "suggestion" for question, _i, _c in got)  # free text is not counted

    flagged = db.session.scalars(select(SurveyResponse).where(SurveyResponse.excluded.is_(True))).one()
    first = db.session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)).first()
    set_excluded(survey, flagged, False, futian.filer)
    db.session.commit()
    assert counters(survey) == reference(survey)
    assert counters(survey)[("payment", "timely", "1")] == (1, 1)
    set_excluded(survey, first, True, futian.filer)
    set_excluded(survey, first, True, futian.filer)  # no change: counted once
    db.session.commit()
    assert counters(survey) == reference(survey)
    assert counters(survey)[("channel", "", tally.RESPONDENTS)] == (3, 4)
    set_excluded(survey, first, False, futian.filer)
    db.session.commit()
    assert counters(survey) == reference(survey)


def test_results_read_the_counters_like_the_answers(app, futian):
    survey = futian.survey()
    for n, row in enumerate(ANSWERS):
        submit(survey, row, n)
    db.session.commit()
    outcome = results.compute(survey)
    # distributions over valid responses, straight from the answers
    valid = select(SurveyResponse.id).where(SurveyResponse.excluded.is_(False))
    direct = db.session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.item_id, SurveyAnswer.choice, func.count())
        .where(SurveyAnswer.survey_id == survey.id, SurveyAnswer.choice.is_not(None),
               SurveyAnswer.response_id.in_(valid))
        .group_by(SurveyAnswer.question_id, SurveyAnswer.item_id, SurveyAnswer.choice)).all()
    flat = {(q, i, c): n for (q, i), by_choice in outcome.distributions.items() for c, n in by_choice.items() if n}
    assert flat == {(q, i, c): n for q, i, c, n in direct}
    assert outcome.answered["channel"] == 3
    assert outcome.summary.item("overall").count == 3
    assert results.text_answers(survey, "suggestion") == ["第2条意见", "第1条意见", "第0条意见"]


def test_shards_are_summed_and_rebuild_restores_the_counts(app, futian, monkeypatch):
    survey = futian.survey()
    shards = iter(range(100))
    monkeypatch.setattr(tally, "shard", lambda: next(shards) % 3)  # as on PostgreSQL: several shards
    for n, row in enumerate(ANSWERS):
        submit(survey, row, n)
    flagged = db.session.scalars(select(SurveyResponse).where(SurveyResponse.excluded.is_(True))).one()
    set_excluded(survey, flagged, False, futian.filer)
    db.session.commit()
    assert counters(survey) == reference(survey)
    before = counters(survey)
    db.session.execute(SurveyTally.__table__.update().where(SurveyTally.survey_id == survey.id).values(valid=99))
    tally.rebuild(survey.id, definition_of(survey))
    db.session.commit()
    assert counters(survey) == before
    assert db.session.scalar(select(func.max(SurveyTally.shard)).where(SurveyTally.survey_id == survey.id)) == 0


def test_a_submission_is_stored_as_sqlalchemy_stores_it(app, futian):
    """The fast insert (survey.store) writes the values the ORM would write and reads back."""
    survey = futian.survey()
    stored = submit(survey, ANSWERS[0], 1)
    db.session.commit()
    response = db.session.get(SurveyResponse, stored.response_id)
    assert response.submitted_at.replace(tzinfo=None) == (NOW + timedelta(minutes=3)).replace(tzinfo=None)
    assert response.answers["payment"]["timely"] == "5" and response.excluded is False
    raw = db.session.execute(select(SurveyResponse.__table__.c.submitted_at.cast(db.String))
                             .where(SurveyResponse.id == stored.response_id)).scalar()
    assert raw.startswith("2022-09-20 09:03:00") and "T" not in raw
    if db.engine.dialect.name == "sqlite":  # SQLAlchemy's own text format, without an offset
        assert raw == "2022-09-20 09:03:00.000000"
