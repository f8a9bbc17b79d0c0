"""``flask --app wsgi users …``: user administration from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.audit import record
from core.auth.passwords import password_problems
from core.extensions import db
from core.models import User

users = AppGroup("users", help="User accounts.")


@users.command("set-password")
@click.argument("username")
def set_password(username: str) -> None:
    """Set USERNAME's password (asked twice, never on the command line)."""
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
