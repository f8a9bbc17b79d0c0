"""The numbers behind the dashboards, for the projects a user may see in one year."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select

from core.auth import access
from core.extensions import db
from core.models import Assessment, MonitoringReport, Project, Role, User
from core.monitoring import service as monitoring
from core.monitoring.progress import planned_rate
from core.monitoring.settings import LIGHTS
from core.plugins import hook, scoring_registry
from core.scoring import bind_hooks, score
from core.workflow.transitions import STATE_LABELS

HUNDRED = Decimal(100)
#: Money is compared across jurisdictions in 元 (Shijiazhuang files in 元, Boye in 万元).
UNIT_FACTOR = {"元": Decimal(1), "万元": Decimal(10000)}
SCORE_BINS = ((None, 60, "<60"), (60, 70, "60–70"), (70, 80, "70–80"), (80, 90, "80–90"), (90, 100, "90–100"),
              (100, None, "≥100"))


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


def _active(user: User, year: int) -> list[Project]:
    query = access.visible_projects(user).where(
        Project.year <= year, or_(Project.year == year, Project.multi_year.is_(True) & (Project.end_year >= year)))
    return list(db.session.scalars(query.order_by(Project.id)))


def _factor(project: Project) -> Decimal:
    unit = (project.organization.jurisdiction.settings or {}).get("money_unit", "元")
    return UNIT_FACTOR.get(unit, Decimal(1))


def self_evaluation_total(project: Project):
    """The total and grade of a submitted or approved self-evaluation, or None."""
    submission = project.submission("self_evaluation")
    if submission is None or submission.state not in ("submitted", "approved"):
        return None
    data = submission.data or {}
    scoring = dict(data.get("scoring") or submission.definition.body.get("scoring") or {})
    if not scoring:
        return None
    bands = (project.organization.jurisdiction.settings or {}).get("grade_bands")
    if bands and "grades" not in scoring:
        scoring["grades"] = bands
    try:
        return score(scoring, data.get("scores") or {}, fields=data.get("fields") or {},
                     registry=scoring_registry(),
                     hooks=bind_hooks(hook(), jurisdiction=project.organization.jurisdiction))
    except Exception:  # noqa: BLE001 - a broken evaluation must not take the dashboard down
        return None


def _bin(total: Decimal) -> str:
    for low, high, text in SCORE_BINS:
        if (low is None or total >= low) and (high is None or total < high):
            return text
    return SCORE_BINS[-1][2]


def _histogram(totals: list[Decimal]) -> list:
    counts = {text: 0 for _l, _h, text in SCORE_BINS}
    for total in totals:
        counts[_bin(total)] += 1
    return list(counts.items())


def build(user: User, year: int) -> Dashboard:
    projects = _active(user, year)
    board = Dashboard(year=year, projects=len(projects))

    states: dict[str | None, int] = {}
    for p in projects:
        goal = p.submission("goal")
        states[goal.state if goal else None] = states.get(goal.state if goal else None, 0) + 1
    order = [*STATE_LABELS, None]
    board.by_state = [(s, STATE_LABELS.get(s, {"zh": "未填报", "en": "Not started"}), states.get(s, 0)) for s in order]

    reports = list(db.session.scalars(select(MonitoringReport).where(
        MonitoringReport.project_id.in_([p.id for p in projects] or [-1]), MonitoringReport.year == year,
        MonitoringReport.state == "submitted")))
    latest: dict[int, MonitoringReport] = {}
    for report in sorted(reports, key=lambda r: r.month):
        latest[report.project_id] = report
    lights = {light: 0 for light in (*reversed(LIGHTS), None)}
    for p in projects:
        report = latest.get(p.id)
        lights[report.project_light if report else None] += 1
    board.by_light = list(lights.items())

    results = [r for r in (self_evaluation_total(p) for p in projects) if r is not None]
    grades: dict[str, tuple] = {}
    for result in results:
        if result.grade:
            key = result.grade.get("zh", "")
            grades[key] = (result.grade, grades.get(key, (None, 0))[1] + 1)
    board.by_grade = [v for _k, v in grades.items()]
    board.self_scores = _histogram([r.total for r in results])
    assessed = db.session.scalars(select(Assessment.assessed_total).where(
        Assessment.year == year, Assessment.state == "assessed",
        Assessment.jurisdiction_id.in_(access.jurisdiction_scope(user, *Role) or [-1])))
    board.assessment_scores = _histogram([t for t in assessed if t is not None])

    board.execution = _execution(projects, reports)
    return board


def _execution(projects: list[Project], reports: list[MonitoringReport]) -> list:
    """Planned cumulative execution by month (budget-weighted, all projects with an approved
    goal) against the actual execution reported at each round month."""
    plans = []
    for p in projects:
        revision = monitoring.approved_goal(p)
        if revision is not None and p.budget:
            plans.append((p, Decimal(p.budget) * _factor(p), monitoring.goal_plan(revision)))
    total_budget = sum((b for _p, b, _plan in plans), Decimal(0))
    by_month: dict[int, list[MonitoringReport]] = {}
    for report in reports:
        by_month.setdefault(report.month, []).append(report)
    rows = []
    for month in range(1, 13):
        planned = (sum((b * planned_rate(plan, month)[0] for _p, b, plan in plans), Decimal(0)) / total_budget
                   if total_budget else None)
        actual, count = None, 0
        month_reports = by_month.get(month, [])
        if month_reports:
            budget = executed = Decimal(0)
            for report in month_reports:
                b = monitoring.lights_of(report).budget
                if b.budget and b.executed is not None:
                    factor = _factor(report.project)
                    budget += b.budget * factor
                    executed += b.executed * factor
                    count += 1
            actual = executed * HUNDRED / budget if budget else None
        rows.append((month, planned, actual, count))
    return rows
