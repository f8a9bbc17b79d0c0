"""Public disclosure (信息公开) at ``/public/<jurisdiction_code>``: no login, read only.

Lists the approved goal forms and completed evaluation results of the years a
jurisdiction publishes (:mod:`core.disclosure.policy`), with one page per project
printing the approved goal table as on paper. Nothing else leaves: never a draft,
a review comment, a quality finding or the name of a reviewer.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from core.api.optional import jsonable
from core.selfeval.scoring import score_submission
from core.disclosure import policy
from core.extensions import db, limiter
from core.listing import int_arg, paginate
from core.models import FormDefinition, Jurisdiction, Organization, Project, Submission, SubmissionRevision
from core.webforms.builder import row_columns
from core.webforms.layout import indicator_layout

bp = Blueprint("disclosure", __name__, url_prefix="/public")


def _rate_limit() -> str:
    return current_app.config.get("PUBLIC_RATE_LIMIT", "120 per minute")


# Per client address: the pages are open to everyone, and each one reads many rows.
limiter.limit(_rate_limit)(bp)


@dataclass
class Entry:
    """One line of the public index: a project with an approved goal, its stored evaluation result."""

    project_id: int
    year: int
    name: str
    organization: str
    budget: object
    unit: str
    adjustment_no: int
    total: object = None     # the approved self-evaluation's stored total, or None
    grade: dict | None = None


def _jurisdiction_or_404(code: str) -> Jurisdiction:
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if jurisdiction is None:
        abort(404)
    return jurisdiction


def _evaluation(project: Project) -> dict | None:
    """The completed (approved) self-evaluation's result."""
    submission = project.submission("self_evaluation")
    if submission is None or submission.state != "approved":
        return None
    try:
        result = jsonable(score_submission(submission))
    except Exception:  # a public page shows what it can; the error goes to the log
        current_app.logger.exception("scoring self-evaluation %s for disclosure failed", submission.id)
        return None
    scoring = (submission.data or {}).get("scoring") or submission.definition.body.get("scoring")
    return policy.evaluation_summary(scoring, result)


def _entries_query(jurisdiction: Jurisdiction, years):
    """Projects of ``jurisdiction`` in ``years`` with an approved goal: their latest approved
    revision and, when approved, the self-evaluation's stored total and grade."""
    goal, evaluation = aliased(Submission), aliased(Submission)
    latest = select(SubmissionRevision.submission_id, func.max(SubmissionRevision.id).label("id")) \
        .where(SubmissionRevision.event == "approved").group_by(SubmissionRevision.submission_id).subquery()
    approved = evaluation.state == "approved"
    return (select(Project.id, Project.year, Project.name, Organization.name, Project.budget,
                   SubmissionRevision.definition_id, SubmissionRevision.adjustment_no,
                   case((approved, evaluation.score_total)), case((approved, evaluation.grade)))
            .join(Organization, Organization.id == Project.organization_id)
            .join(goal, and_(goal.project_id == Project.id, goal.kind == "goal"))
            .join(latest, latest.c.submission_id == goal.id)
            .join(SubmissionRevision, SubmissionRevision.id == latest.c.id)
            .outerjoin(evaluation, and_(evaluation.project_id == Project.id, evaluation.kind == "self_evaluation"))
            .where(Organization.jurisdiction_id == jurisdiction.id, Project.year.in_(list(years)))
            .order_by(Project.year.desc(), Organization.name, Project.name, Project.id))


def _entries(rows) -> list[Entry]:
    units = {d.id: (d.body or {}).get("unit", "") for d in db.session.scalars(
        select(FormDefinition).where(FormDefinition.id.in_({row[5] for row in rows} or {-1})))}
    return [Entry(project_id, year, name, organization, budget, units.get(definition_id, ""), adjustment_no or 0,
                  total, grade if isinstance(grade, dict) else None)
            for (project_id, year, name, organization, budget, definition_id, adjustment_no, total, grade) in rows]


@bp.get("/")
def jurisdictions():
    rows = db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.code)).all()
    published = [(j, policy.published_years(j.settings)) for j in rows]
    return render_template("disclosure/jurisdictions.html",
                           jurisdictions=[(j, years) for j, years in published if years])


@bp.get("/<code>/")
def index(code: str):
    jurisdiction = _jurisdiction_or_404(code)
    years = policy.published_years(jurisdiction.settings)
    year = int_arg("year", None, 2000, 2100)
    shown = (year,) if year in years else years
    page = paginate(_entries_query(jurisdiction, shown), {"year": year if year in years else None},
                    scalars=False) if shown else None
    return render_template("disclosure/index.html", jurisdiction=jurisdiction, years=years, year=year
                           if year in years else None, page=page, entries=_entries(page.items) if page else [])


@bp.get("/<code>/projects/<int:project_id>")
def project(code: str, project_id: int):
    jurisdiction = _jurisdiction_or_404(code)
    years = policy.published_years(jurisdiction.settings)
    found = db.session.get(Project, project_id)
    if found is None or found.organization.jurisdiction_id != jurisdiction.id or found.year not in years:
        abort(404)
    goal = found.submission("goal")
    revision = goal.approved_revision if goal is not None else None
    if revision is None:
        abort(404)
    raw = revision.definition.body
    data = policy.public_goal_data(raw, revision.data, [c["id"] for c in row_columns(raw)])
    return render_template(
        "disclosure/project.html", jurisdiction=jurisdiction, project=found, revision=revision, raw=raw,
        data=data, layout=indicator_layout(raw, data["indicators"]), evaluation=_evaluation(found))
