"""The project list as a query: the page shows one page of it, the export job all of it."""
from __future__ import annotations

from typing import Mapping

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased, contains_eager

from core.auth import access
from core.listing import int_arg, matches
from core.models import Organization, Project, Submission, User
from core.workflow.transitions import STATE_LABELS


def project_filters(args: Mapping[str, str]) -> dict:
    """The list's filters from a query string: search text, year, goal-form state."""
    state = args.get("state", "")
    return {"q": (args.get("q") or "").strip()[:100], "year": int_arg("year", None, 2000, 2100, args=args),
            "state": state if state in STATE_LABELS or state == "none" else ""}


def project_list(user: User, filters: Mapping):
    """SELECT (Project with its organization, goal-form state) the user sees, filtered and ordered."""
    goal = aliased(Submission)
    query = (select(Project, goal.state)
             .outerjoin(goal, and_(goal.project_id == Project.id, goal.kind == "goal"))
             .where(Project.id.in_(access.visible_projects(user).with_only_columns(Project.id)))
             .join(Project.organization).options(contains_eager(Project.organization))
             .order_by(Project.year.desc(), Project.name, Project.id))
    if filters.get("q"):
        query = query.where(matches(filters["q"], Project.name, Project.code, Organization.name))
    if filters.get("year"):
        query = query.where(Project.year == filters["year"])
    if filters.get("state") == "none":
        query = query.where(goal.id.is_(None))
    elif filters.get("state"):
        query = query.where(goal.state == filters["state"])
    return query


def project_years(user: User) -> list[int]:
    """The budget years of the projects ``user`` sees, newest first (the year filter's choices)."""
    from core.extensions import db

    visible = access.visible_projects(user).with_only_columns(Project.year).distinct()
    return sorted(db.session.scalars(visible), reverse=True)
