"""A survey's results, aggregated in SQL: counts, item scores, the index and its interval.

Responses are never loaded one by one. The results page costs:

- the survey's **counter rows** (``survey_tally``, kept on every submission and
  exclusion by ``survey.tally``): per (question, item, choice) the valid and all
  counts and the choice's score — so the distributions, the item means, and the
  index with flagged responses counted all come from a few dozen rows, and, for
  multiple-choice questions, the number of respondents who answered;
- the counts, and the interval's moments (n, Σs, Σs²) from the respondent scores
  stored on ``survey_response`` — valid while the index uses the definition's
  weights; a ``satisfaction_index`` hook with other weights falls back to a
  ``GROUP BY response_id`` over the answers (slower, exact);
- the latest free-text answers, through ``ix_survey_answer_survey_response``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, select

from core.definitions.model import FormDefinition
from core.definitions.targets import TargetParseError, parse_target
from core.extensions import db
from core.plugins import hook
from survey import index as ix
from survey import tally as counters
from survey.models import Survey, SurveyAnswer, SurveyResponse
from survey.service import definition_of, indicator_row, invitation_counts, public_url


@dataclass(frozen=True)
class SatisfactionResult:
    """What the self-evaluation form needs for its satisfaction actual (实际完成值)."""

    percent: Decimal | None
    valid: int
    invalid: int
    ci_low: Decimal | None
    ci_high: Decimal | None
    survey_id: int
    url: str


@dataclass(frozen=True)
class Counts:
    valid: int
    invalid: int

    @property
    def total(self) -> int:
        return self.valid + self.invalid


@dataclass
class Results:
    counts: Counts
    summary: ix.AnswersSummary
    index: ix.IndexResult
    sd: Decimal | None
    interval: ix.Interval | None
    precision: ix.Precision
    target: object | None                     # the parsed indicator target, if any
    row: dict | None                          # the linked indicator row
    distributions: dict = field(default_factory=dict)   # (question, item) → {choice: count}
    answered: dict = field(default_factory=dict)        # question → responses that answered it
    index_all: Decimal | None = None          # the index with excluded responses counted too
    population: int | None = None


# --- the queries ----------------------------------------------------------------------------------------------

def _excluded_ids(survey_id: int):
    return select(SurveyResponse.id).where(SurveyResponse.survey_id == survey_id, SurveyResponse.excluded.is_(True))


def _answer_filter(survey_id: int, include_excluded: bool):
    clauses = [SurveyAnswer.survey_id == survey_id]
    if not include_excluded:
        clauses.append(SurveyAnswer.response_id.not_in(_excluded_ids(survey_id)))
    return clauses


def counts(survey: Survey) -> Counts:
    rows = dict(db.session.execute(
        select(SurveyResponse.excluded, func.count(SurveyResponse.id))
        .where(SurveyResponse.survey_id == survey.id).group_by(SurveyResponse.excluded)).all())
    return Counts(int(rows.get(False, 0)), int(rows.get(True, 0)))


@dataclass
class Tally:
    """The one scan: per (question, item, choice), valid and all counts, and the choice's score."""

    groups: dict = field(default_factory=dict)  # (question, item, choice) → (valid, all, score or None)

    def distributions(self) -> dict:
        """(question, item) → {choice: valid count}."""
        out: dict = {}
        for (q, i, choice), (valid, _all, _score) in self.groups.items():
            out.setdefault((q, i), {})[choice] = valid
        return out

    def item_means(self, include_excluded: bool = False) -> dict[str, tuple[int, Decimal | None]]:
        """item key → (scored answers, mean score)."""
        sums: dict = {}
        for (q, i, _choice), (valid, everyone, score) in self.groups.items():
            if score is None:
                continue
            n = everyone if include_excluded else valid
            count, total = sums.get(ix.item_key(q, i), (0, Decimal(0)))
            sums[ix.item_key(q, i)] = (count + n, total + n * score)
        return {key: (count, total / count if count else None) for key, (count, total) in sums.items()}


def tally(survey: Survey) -> Tally:
    return Tally({key: (valid, everyone, ix.to_decimal(score))
                  for key, (valid, everyone, score) in counters.by_choice(survey.id).items()})


def item_means(survey: Survey, include_excluded: bool = False) -> dict[str, tuple[int, Decimal | None]]:
    """item key → (count, mean score) over scored answers."""
    return tally(survey).item_means(include_excluded)


def stored_moments(survey: Survey) -> tuple[int, Decimal, Decimal]:
    """(n, Σs, Σs²) over the valid responses' stored respondent scores (definition weights)."""
    score = SurveyResponse.score
    n, total, total_sq = db.session.execute(
        select(func.count(score), func.sum(score), func.sum(score * score))
        .where(SurveyResponse.survey_id == survey.id, SurveyResponse.excluded.is_(False))).one()
    return int(n or 0), ix.to_decimal(total) or Decimal(0), ix.to_decimal(total_sq) or Decimal(0)


def respondent_moments(survey: Survey, weights: dict[str, Decimal],
                       include_excluded: bool = False) -> tuple[int, Decimal, Decimal]:
    """(n, Σs, Σs²) over per-respondent weighted scores s with any ``weights`` (GROUP BY response)."""
    weighted = [(k, w) for k, w in weights.items() if w > 0]
    if not weighted:
        return 0, Decimal(0), Decimal(0)
    whens = []
    for key, weight in weighted:
        question, _, item = key.partition(".")
        whens.append((and_(SurveyAnswer.question_id == question, SurveyAnswer.item_id == item),
                      literal(float(weight))))
    w = case(*whens, else_=literal(0.0))
    per_response = (select((func.sum(w * SurveyAnswer.value) / func.nullif(func.sum(w), 0)).label("s"))
                    .where(*_answer_filter(survey.id, include_excluded), SurveyAnswer.value.is_not(None))
                    .group_by(SurveyAnswer.response_id).subquery())
    n, total, total_sq = db.session.execute(
        select(func.count(per_response.c.s), func.sum(per_response.c.s),
               func.sum(per_response.c.s * per_response.c.s))).one()
    return int(n or 0), ix.to_decimal(total) or Decimal(0), ix.to_decimal(total_sq) or Decimal(0)


def answered(survey: Survey, question_ids: list[str]) -> dict[str, int]:
    """question → valid responses that answered it (needed for multiple choice only)."""
    return counters.respondents(survey.id, question_ids)


def text_answers(survey: Survey, question_id: str, limit: int = 50) -> list[str]:
    return list(db.session.scalars(
        select(SurveyAnswer.text).where(*_answer_filter(survey.id, False), SurveyAnswer.question_id == question_id,
                                        SurveyAnswer.text.is_not(None))
        .order_by(SurveyAnswer.response_id.desc(), SurveyAnswer.id.desc()).limit(limit)))


# --- putting it together ------------------------------------------------------------------------------------

def _index(survey: Survey, definition: FormDefinition, summary: ix.AnswersSummary) -> ix.IndexResult:
    answer = hook().satisfaction_index(survey=survey, definition=definition, answers_summary=summary)
    return ix.index_result(answer) or ix.IndexResult(None, {})


def _target(row: dict | None):
    if not row or not row.get("target"):
        return None
    try:
        target = parse_target(row["target"])
    except TargetParseError:
        return None
    if target.qualitative or target.value is None or (target.unit not in (None, "%")):
        return None
    return target


def compute(survey: Survey, *, with_distributions: bool = True, with_sensitivity: bool = True) -> Results:
    """Everything the results page shows."""
    definition = definition_of(survey)
    items = ix.scored_items(definition)
    tally_ = counts(survey)
    scan = tally(survey)
    summary = ix.summarize_items(items, scan.item_means(), tally_.valid)
    result = _index(survey, definition, summary)
    if dict(result.weights) == summary.definition_weights():
        n, total, total_sq = stored_moments(survey)
    else:  # a plugin weighs the items its own way: recompute each respondent's score
        n, total, total_sq = respondent_moments(survey, dict(result.weights))
    sd = ix.sample_sd(n, total, total_sq)
    population = invitation_counts(survey)[0] if survey.mode == "invitation" else None
    interval = ix.confidence_interval(result.value, sd, n, population or None)
    row = indicator_row(survey.project, survey.indicator_row_id)
    target = _target(row)
    prec = ix.precision(result.value, interval, sd, n, target.value if target else None,
                        target.comparator if target else None, population or None)
    results = Results(tally_, summary, result, sd, interval, prec, target, row, population=population or None)
    if with_distributions:
        results.distributions = scan.distributions()
        multi = [f.id for f in definition.fields if f.type == "multi_choice"]
        results.answered = answered(survey, multi)
        for (question, _item), by_choice in results.distributions.items():
            if question not in multi:
                results.answered[question] = max(results.answered.get(question, 0), sum(by_choice.values()))
    if with_sensitivity and tally_.invalid:
        everything = ix.summarize_items(items, scan.item_means(include_excluded=True), tally_.total)
        results.index_all = _index(survey, definition, everything).value
    return results


def satisfaction_result(survey: Survey) -> SatisfactionResult:
    """The survey's satisfaction index for the self-evaluation (实际完成值).

    ``percent`` is the index (0–100, two places) or None without valid answers;
    ``ci_low``/``ci_high`` its 95% interval (None with fewer than two respondents).
    """
    results = compute(survey, with_distributions=False, with_sensitivity=False)
    interval = results.interval
    return SatisfactionResult(results.index.value, results.counts.valid, results.counts.invalid,
                              interval.low if interval else None, interval.high if interval else None,
                              survey.id, public_url(survey))


def survey_for_indicator(project, row_id: str) -> Survey | None:
    """The survey measuring indicator row ``row_id`` of ``project``'s goal form.

    A closed survey (the most recently closed) wins over an open one, an open one
    over a draft; None when no survey is linked to the row.
    """
    surveys = db.session.scalars(select(Survey).where(Survey.project_id == project.id,
                                                      Survey.indicator_row_id == row_id)).all()
    surveys.sort(key=_rank)
    return surveys[0] if surveys else None


def _rank(survey: Survey):
    order = {"closed": 0, "open": 1, "draft": 2}
    return (order.get(survey.status, 3), -(survey.closed_at.timestamp() if survey.closed_at else 0), -survey.id)


def project_survey(project) -> Survey | None:
    """The project's most relevant survey: linked to an indicator row first, then by status."""
    surveys = db.session.scalars(select(Survey).where(Survey.project_id == project.id)).all()
    if not surveys:
        return None
    return sorted(surveys, key=lambda s: (s.indicator_row_id is None, *_rank(s)))[0]
