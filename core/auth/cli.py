"""``flask --app wsgi users …``: user administration from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import or_, select

from core.audit import record
from core.auth.passwords import password_problems
from core.cli import require_schema as _require_schema
from core.extensions import db
from core.models import Jurisdiction, Organization, User

users = AppGroup("users", help="User accounts and their roles.")


@users.command("set-password")
@click.argument("username")
def set_password(username: str) -> None:
    """Set USERNAME's password (asked twice, never on the command line)."""
    _require_schema()
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    password = click.prompt("New password", hide_input=True, confirmation_prompt="Repeat the password")
    problems = password_problems(password, user.username)
    if problems:
        raise click.ClickException("password refused: " + "；".join(problems))
    user.set_password(password)
    record("user.password", "user", user.id, detail={"username": user.username, "via": "cli"})
    db.session.commit()
    click.echo(f"password of {user.username} changed")


@users.command("grant")
@click.argument("username")
@click.argument("role")
@click.option("--jurisdiction", "jurisdiction_code", metavar="CODE",
              help="The jurisdiction the role holds in (reviewer, admin, leader).")
@click.option("--organization", "organization_ref", metavar="ORG",
              help="The organization (unit) the role holds in (filer, leader): its id, code or name; "
                   "with --jurisdiction, looked up in that jurisdiction only.")
def grant(username: str, role: str, jurisdiction_code: str | None, organization_ref: str | None) -> None:
    """Give USERNAME the role ROLE (filer, reviewer, leader, admin) in a jurisdiction or an organization.

    The same rule as the admin page's users (a filer belongs to an organization, a
    reviewer or an admin to a jurisdiction, a leader to either) and the same audit event
    (membership.create). For a jurisdiction just imported with `packs import`:
    `flask --app wsgi users grant alice admin --jurisdiction xinhe`.
    """
    from core.admin.service import ROLE_LABELS, AdminRefused, by_code, grant_role

    _require_schema()
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user named {username!r} (create users on the admin page "
                                   "/admin/jurisdictions/<code>/people)")
    if role not in ROLE_LABELS:
        raise click.ClickException(f"unknown role {role!r}: one of {', '.join(ROLE_LABELS)}")
    if not jurisdiction_code and not organization_ref:
        raise click.ClickException("say where: --jurisdiction CODE or --organization ORG")
    jurisdiction = None
    if jurisdiction_code:
        jurisdiction = by_code(jurisdiction_code)
        if jurisdiction is None:
            raise click.ClickException(f"no jurisdiction with code {jurisdiction_code!r}")
    organization = _organization(organization_ref, jurisdiction) if organization_ref else None
    try:
        membership = grant_role(user, role, jurisdiction=None if organization is not None else jurisdiction,
                                organization=organization, via="cli")
        db.session.commit()
    except AdminRefused as refused:
        db.session.rollback()
        raise click.ClickException("; ".join(p.message for p in refused.problems)) from None
    where = (f"organization {organization.name!r} ({organization.jurisdiction.code})" if organization is not None
             else f"jurisdiction {membership.jurisdiction.code!r}")
    click.echo(f"{user.username}: {role} in {where}")


def _organization(ref: str, jurisdiction: Jurisdiction | None) -> Organization:
    """The one organization ``ref`` (an id, a code or a name) names, or a clear refusal."""
    query = select(Organization)
    if jurisdiction is not None:
        query = query.where(Organization.jurisdiction_id == jurisdiction.id)
    conditions = [Organization.name == ref]
    if ref.strip():
        conditions.append(Organization.code == ref)
    if ref.isdigit() and len(ref) <= 18:
        conditions.append(Organization.id == int(ref))
    found = list(db.session.scalars(query.where(or_(*conditions)).order_by(Organization.id)))
    if not found:
        inside = f" in jurisdiction {jurisdiction.code!r}" if jurisdiction is not None else ""
        raise click.ClickException(f"no organization {ref!r}{inside} (by id, code or name)")
    if len(found) > 1:
        listed = "; ".join(f"id {o.id}: {o.name} ({o.jurisdiction.code})" for o in found)
        raise click.ClickException(f"{ref!r} names {len(found)} organizations, give the id or --jurisdiction: {listed}")
    return found[0]
