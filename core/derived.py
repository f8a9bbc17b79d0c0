"""Values derived from a form, stored when the form changes instead of recomputed per view.

At a province's scale (20,000 projects a year) a list that rescored every
self-evaluation or re-evaluated every monitoring report on each view took minutes
(issue 13). Each stored value has exactly one writer, here or named here:

- a scored form's total and grade: :func:`store_score`, called by the workflow service
  with the result of the same check that guards submission;
- a monitoring report's rates, budget light and money in 元:
  ``core.monitoring.service._store`` (with the lights it already stores);
- a project's planned cumulative execution per month: :func:`store_plan`, called when
  its goal form is approved.

:func:`refresh_all` recomputes every stored value through those writers: ``init-db``
runs it after a migration added columns, and the tests compare it with what the
writers left.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from core.definitions.errors import DefinitionInvalid
from core.extensions import db
from core.models import MonitoringReport, PlannedExecution, Project, Submission

#: Money is compared across jurisdictions in 元 (Shijiazhuang files in 元, Boye in 万元).
UNIT_FACTOR = {"元": Decimal(1), "万元": Decimal(10000)}
MONTHS = range(1, 13)


def money_factor(jurisdiction) -> Decimal:
    """How many 元 one unit of the jurisdiction's money is."""
    unit = (jurisdiction.settings or {}).get("money_unit", "元")
    return UNIT_FACTOR.get(unit, Decimal(1))


def store_score(submission: Submission, result) -> None:
    """Keep ``result`` (a ScoreResult, or None when the form is not scored) on the submission."""
    total = getattr(result, "total", None) if result is not None and not result.problems else None
    grade = result.grade if total is not None else None
    submission.score_total = total
    submission.grade = grade
    submission.grade_key = (grade or {}).get("zh") if isinstance(grade, dict) else None


def store_plan(project: Project, revision) -> None:
    """Replace the project's planned execution with the plan of ``revision`` (an approved goal)."""
    from core.monitoring.progress import planned_rate
    from core.monitoring.service import goal_plan

    db.session.execute(delete(PlannedExecution).where(PlannedExecution.project_id == project.id))
    if revision is None:
        return
    plan = goal_plan(revision)
    budget = Decimal(project.budget or 0) * money_factor(project.organization.jurisdiction)
    db.session.add_all(PlannedExecution(project_id=project.id, month=month, rate=planned_rate(plan, month)[0],
                                        budget_yuan=budget) for month in MONTHS)


def refresh_all(batch: int = 500) -> dict[str, int]:
    """Recompute every stored value through its writer; return how many rows of each."""
    from core.monitoring import service as monitoring
    from core.workflow.checks import score_of

    counts = {"scores": 0, "plans": 0, "reports": 0}
    scored = select(Submission).where(Submission.kind == "self_evaluation").order_by(Submission.id)
    for submission in _batches(scored, batch):
        try:
            result = score_of(submission, submission.data)
        except DefinitionInvalid:  # a form that cannot be scored keeps no total (its page says why)
            result = None
        store_score(submission, result)
        counts["scores"] += 1
    goals = select(Submission).where(Submission.kind == "goal").options(
        selectinload(Submission.revisions)).order_by(Submission.id)
    for goal in _batches(goals, batch):
        store_plan(goal.project, goal.approved_revision)
        counts["plans"] += goal.approved_revision is not None
    reports = select(MonitoringReport).order_by(MonitoringReport.id)
    for report in _batches(reports, batch):
        monitoring.store_derived(report, monitoring.lights_of(report))
        counts["reports"] += 1
    db.session.flush()
    return counts


def _batches(query, size: int):
    offset = 0
    while True:
        rows = db.session.scalars(query.limit(size).offset(offset)).all()
        if not rows:
            return
        yield from rows
        db.session.flush()
        offset += size
