"""The numbers behind the dashboards, for the projects a user may see in one year.

Every figure is one aggregate statement over stored values (core/derived.py): the
goal form's state, a monitoring report's light and money in 元, a self-evaluation's
total and grade, each project's planned execution per month. The page issues the same
statements for ten projects as for a province's twenty thousand.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from core.auth import access
from core.extensions import db
from core.models import Assessment, MonitoringReport, PlannedExecution, Project, Role, Submission, User
from core.monitoring.settings import LIGHTS
from core.workflow.transitions import STATE_LABELS

HUNDRED = Decimal(100)
SCORE_BINS = ((None, 60, "<60"), (60, 70, "60–70"), (70, 80, "70–80"), (80, 90, "80–90"), (90, 100, "90–100"),
              (100, None, "≥100"))
NOT_STARTED = {"zh": "未填报", "en": "Not started"}


@dataclass
class Dashboard:
    year: int
    projects: int = 0
    by_state: list = field(default_factory=list)      # (state, label, n)
    by_light: list = field(default_factory=list)      # (light or None, n)
    by_grade: list = field(default_factory=list)      # (label dict, n)
    self_scores: list = field(default_factory=list)   # (bin label, n)
    assessment_scores: list = field(default_factory=list)
    execution: list = field(default_factory=list)     # (month, planned %, actual % or None, projects reporting)


def active_project_ids(user: User, year: int):
    """A subquery of the ids of the projects ``user`` sees that run in ``year``."""
    return access.visible_projects(user).where(
        Project.year <= year, or_(Project.year == year, Project.multi_year.is_(True) & (Project.end_year >= year))
    ).with_only_columns(Project.id).scalar_subquery()


def _bins(column) -> list:
    """One ``count`` per score bin, as SQL expressions."""
    out = []
    for low, high, _text in SCORE_BINS:
        conditions = [column.is_not(None)]
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column < high)
        out.append(func.count(case((and_(*conditions), 1))))
    return out


def _histogram(counts) -> list:
    return [(text, int(n or 0)) for (_l, _h, text), n in zip(SCORE_BINS, counts)]


def build(user: User, year: int) -> Dashboard:
    ids = active_project_ids(user, year)
    board = Dashboard(year=year, projects=db.session.scalar(select(func.count()).where(Project.id.in_(ids))) or 0)

    goal = select(Submission.state, func.count()).where(Submission.kind == "goal", Submission.project_id.in_(ids)) \
        .group_by(Submission.state)
    states = dict(db.session.execute(goal).all())
    states[None] = board.projects - sum(states.values())
    board.by_state = [(s, STATE_LABELS.get(s, NOT_STARTED), states.get(s, 0)) for s in [*STATE_LABELS, None]]

    board.by_light = _lights(ids, year, board.projects)
    board.by_grade, board.self_scores = _grades(ids)
    assessed = select(*_bins(Assessment.assessed_total)).where(
        Assessment.year == year, Assessment.state == "assessed",
        Assessment.jurisdiction_id.in_(access.jurisdiction_scope(user, *Role) or [-1]))
    board.assessment_scores = _histogram(db.session.execute(assessed).one())
    board.execution = _execution(ids, year)
    return board


def _lights(ids, year: int, total: int) -> list:
    """Projects by the light of their latest submitted report of the year."""
    submitted = and_(MonitoringReport.year == year, MonitoringReport.state == "submitted",
                     MonitoringReport.project_id.in_(ids))
    latest = select(MonitoringReport.project_id, func.max(MonitoringReport.month).label("month")) \
        .where(submitted).group_by(MonitoringReport.project_id).subquery()
    query = select(MonitoringReport.project_light, func.count()).join(
        latest, and_(latest.c.project_id == MonitoringReport.project_id, latest.c.month == MonitoringReport.month)
    ).where(submitted).group_by(MonitoringReport.project_light)
    counts = {light: 0 for light in (*reversed(LIGHTS), None)}
    for light, n in db.session.execute(query):
        counts[light] = counts.get(light, 0) + n
    counts[None] = total - sum(n for light, n in counts.items() if light is not None)
    return list(counts.items())


def _grades(ids) -> tuple[list, list]:
    """Submitted and approved self-evaluations by grade, and their totals in bins."""
    done = and_(Submission.kind == "self_evaluation", Submission.state.in_(("submitted", "approved")),
                Submission.project_id.in_(ids), Submission.score_total.is_not(None))
    per_grade = db.session.execute(select(Submission.grade_key, func.count(), func.max(Submission.id))
                                   .where(done, Submission.grade_key.is_not(None))
                                   .group_by(Submission.grade_key).order_by(func.max(Submission.score_total).desc())
                                   ).all()
    labels = dict(db.session.execute(select(Submission.id, Submission.grade).where(
        Submission.id.in_([row[2] for row in per_grade] or [-1]))).all())
    by_grade = [(labels.get(sample) or {"zh": key}, n) for key, n, sample in per_grade]
    bins = db.session.execute(select(*_bins(Submission.score_total)).where(done)).one()
    return by_grade, _histogram(bins)


def _execution(ids, year: int) -> list:
    """Planned cumulative execution by month (budget-weighted, all projects with an approved
    goal) against the actual execution reported at each round month."""
    planned = dict(db.session.execute(
        select(PlannedExecution.month,
               func.sum(PlannedExecution.budget_yuan * PlannedExecution.rate) / func.nullif(
                   func.sum(PlannedExecution.budget_yuan), 0))
        .where(PlannedExecution.project_id.in_(ids)).group_by(PlannedExecution.month)).all())
    actual = {month: (budget, executed, n) for month, budget, executed, n in db.session.execute(
        select(MonitoringReport.month, func.sum(MonitoringReport.budget_yuan),
               func.sum(MonitoringReport.executed_yuan), func.count())
        .where(MonitoringReport.year == year, MonitoringReport.state == "submitted",
               MonitoringReport.project_id.in_(ids), MonitoringReport.budget_yuan.is_not(None))
        .group_by(MonitoringReport.month))}
    rows = []
    for month in range(1, 13):
        plan = planned.get(month)
        budget, executed, count = actual.get(month, (None, None, 0))
        rows.append((month, Decimal(plan) if plan is not None else None,
                     Decimal(executed) * HUNDRED / Decimal(budget) if budget else None, count))
    return rows
