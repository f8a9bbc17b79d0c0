"""Public disclosure (信息公开) at ``/public/<jurisdiction_code>``: no login, read only.

Lists the approved goal forms and completed evaluation results of the years a
jurisdiction publishes (:mod:`core.disclosure.policy`), with one page per project
printing the approved goal table as on paper. Nothing else leaves: never a draft,
a review comment, a quality finding or the name of a reviewer.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api.optional import jsonable
from core.selfeval.scoring import score_submission
from core.disclosure import policy
from core.extensions import db, limiter
from core.models import Jurisdiction, Organization, Project, Submission, SubmissionRevision
from core.webforms.builder import row_columns
from core.webforms.layout import indicator_layout

bp = Blueprint("disclosure", __name__, url_prefix="/public")


def _rate_limit() -> str:
    return current_app.config.get("PUBLIC_RATE_LIMIT", "120 per minute")


# Per client address: the pages are open to everyone, and each one reads many rows.
limiter.limit(_rate_limit)(bp)


@dataclass
class Entry:
    project: Project
    revision: SubmissionRevision
    evaluation: dict | None


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


def _entries(jurisdiction: Jurisdiction, years) -> list[Entry]:
    if not years:
        return []
    projects = db.session.scalars(
        select(Project).join(Organization)
        .where(Organization.jurisdiction_id == jurisdiction.id, Project.year.in_(years))
        .options(selectinload(Project.organization),
                 selectinload(Project.submissions).selectinload(Submission.revisions))
        .order_by(Project.year.desc(), Organization.name, Project.name)
    ).all()
    entries = []
    for project in projects:
        goal = project.submission("goal")
        revision = goal.approved_revision if goal is not None else None
        if revision is not None:
            entries.append(Entry(project, revision, _evaluation(project)))
    return entries


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
    year = request.args.get("year", type=int)
    shown = (year,) if year in years else years
    return render_template("disclosure/index.html", jurisdiction=jurisdiction, years=years, year=year
                           if year in years else None, entries=_entries(jurisdiction, shown))


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
