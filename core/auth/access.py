"""Who may see and do what: roles checked against organization and jurisdiction scope.

Every view loads objects through these functions; an object outside the user's
scope is reported as *not found* (404) so ids of other organizations leak nothing.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from core.extensions import db
from core.models import Jurisdiction, Membership, Organization, Project, Role, Submission, User


def _descendant_ids(root_ids: set[int]) -> set[int]:
    """The given jurisdictions and all below them (a city reviewer sees its counties)."""
    result, frontier = set(root_ids), set(root_ids)
    while frontier:
        children = set(db.session.scalars(
            select(Jurisdiction.id).where(Jurisdiction.parent_id.in_(frontier))
        ))
        frontier = children - result
        result |= frontier
    return result


def roles_of(user: User) -> set[str]:
    return {m.role for m in user.memberships} if user.is_authenticated else set()


def jurisdiction_scope(user: User, *roles: Role) -> set[int]:
    """Ids of the jurisdictions where ``user`` holds one of ``roles`` (with descendants)."""
    wanted = {r.value for r in roles}
    roots = {m.jurisdiction_id for m in user.memberships
             if m.role in wanted and m.jurisdiction_id is not None}
    return _descendant_ids(roots) if roots else set()


def organization_scope(user: User, *roles: Role) -> set[int]:
    """Ids of the organizations where ``user`` holds one of ``roles`` directly."""
    wanted = {r.value for r in roles}
    return {m.organization_id for m in user.memberships
            if m.role in wanted and m.organization_id is not None}


def visible_projects(user: User):
    """A select() of the projects ``user`` may view."""
    viewer_roles = (Role.REVIEWER, Role.LEADER, Role.ADMIN)
    jurisdictions = jurisdiction_scope(user, *viewer_roles)
    organizations = organization_scope(user, Role.FILER, Role.LEADER)
    query = select(Project).join(Organization)
    return query.where(
        Organization.jurisdiction_id.in_(jurisdictions) | Project.organization_id.in_(organizations)
    )


def can_view_project(user: User, project: Project) -> bool:
    if project.organization_id in organization_scope(user, Role.FILER, Role.LEADER):
        return True
    return project.organization.jurisdiction_id in jurisdiction_scope(
        user, Role.REVIEWER, Role.LEADER, Role.ADMIN)


def can_file_for(user: User, organization_id: int) -> bool:
    return organization_id in organization_scope(user, Role.FILER)


def can_review(user: User, submission: Submission) -> bool:
    return submission.project.organization.jurisdiction_id in jurisdiction_scope(user, Role.REVIEWER)


def visible_jurisdiction_ids(user: User) -> set[int]:
    """Jurisdictions whose published forms ``user`` may read: where the user holds any
    role (with descendants), and those of the user's organizations."""
    every_role = tuple(Role)
    ids = jurisdiction_scope(user, *every_role)
    organizations = organization_scope(user, *every_role)
    if organizations:
        ids |= set(db.session.scalars(
            select(Organization.jurisdiction_id).where(Organization.id.in_(organizations))))
    return ids


def filer_organizations(user: User) -> list[Organization]:
    ids = organization_scope(user, Role.FILER)
    if not ids:
        return []
    return list(db.session.scalars(select(Organization).where(Organization.id.in_(ids))))


def require(allowed: bool) -> None:
    """Refuse with 403 a user who may see the object but never do this to it (a
    leader pressing finance's button), before the form is even read."""
    if not allowed:
        abort(403)


def project_or_404(user: User, project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not can_view_project(user, project):
        abort(404)
    return project


def submission_or_404(user: User, submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or not can_view_project(user, submission.project):
        abort(404)
    return submission


# --- monitoring, rectification, assessment of subordinate bodies ------------------------------

def can_supervise(user: User, project: Project) -> bool:
    """Finance (reviewer) of the project's jurisdiction or above: monitoring oversight,
    suspending funds, feedback letters."""
    return project.organization.jurisdiction_id in jurisdiction_scope(user, Role.REVIEWER)


def can_oversee(user: User) -> bool:
    """May open the overview pages (monitoring table, dashboards): reviewers, leaders, admins."""
    return bool(jurisdiction_scope(user, Role.REVIEWER, Role.LEADER, Role.ADMIN)
                or organization_scope(user, Role.LEADER))


def assessor_jurisdictions(user: User) -> set[int]:
    """Jurisdictions whose reviewer ``user`` is directly (a city union's finance): they
    assess their child jurisdictions' work."""
    return {m.jurisdiction_id for m in user.memberships
            if m.role == Role.REVIEWER.value and m.jurisdiction_id is not None}


def can_assess(user: User, assessment) -> bool:
    """The assessor's reviewer enters the assessed scores (评定分数)."""
    return assessment.assessor_jurisdiction_id in jurisdiction_scope(user, Role.REVIEWER) \
        and not can_self_assess(user, assessment)


def can_self_assess(user: User, assessment) -> bool:
    """The assessed body's own staff (a membership on that jurisdiction itself, or a filer
    of one of its organizations) enter the self scores (自评分数)."""
    target = assessment.jurisdiction_id
    direct = any(m.jurisdiction_id == target and m.role in (Role.REVIEWER.value, Role.ADMIN.value)
                 for m in user.memberships)
    if direct:
        return True
    organizations = organization_scope(user, Role.FILER)
    return bool(organizations) and bool(db.session.scalar(
        select(Organization.id).where(Organization.id.in_(organizations), Organization.jurisdiction_id == target)))


def can_view_assessment(user: User, assessment) -> bool:
    return (assessment.jurisdiction_id in jurisdiction_scope(user, Role.REVIEWER, Role.LEADER, Role.ADMIN)
            or can_self_assess(user, assessment))
