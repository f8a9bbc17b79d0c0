"""Flask CLI commands: ``flask --app wsgi <command>``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from core.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(derived_refresh)
    app.cli.add_command(seed_demo)
    app.cli.add_command(definitions)
    app.cli.add_command(packs)
    app.cli.add_command(score_command)
    from core.backup import backup_command, restore_command  # backup and restore (core/backup.py)

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from core.auth.cli import users  # users set-password
    from core.jobs.worker import jobs  # jobs worker

    app.cli.add_command(jobs)

    app.cli.add_command(users)


#: Schema revisions before the stored derived values (migration 9b4e7c2d1f30).
PRE_DERIVED_REVISIONS = frozenset({"7d93b70dba7d", "3c1f9a2e7b55", "5e8d2c41a9f0"})


def _schema_revision() -> str | None:
    """The database's Alembic revision, or None for an empty database."""
    from sqlalchemy import inspect, text

    if not inspect(db.engine).has_table("alembic_version"):
        return None
    return db.session.scalar(text("SELECT version_num FROM alembic_version"))


@click.command("derived-refresh")
@with_appcontext
def derived_refresh() -> None:
    """Recompute every stored score, grade, monitoring rate and spending plan."""
    from core.derived import refresh_all

    counts = refresh_all()
    db.session.commit()
    click.echo("stored values computed: {scores} scores, {plans} plans, {reports} reports".format(**counts))


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or migrate the schema, then store the built-in jurisdiction packs."""
    from flask_migrate import upgrade

    from core.derived import refresh_all
    from core.jurisdictions import sync_builtin_packs
    from core.plugins import plugin_manager

    before = _schema_revision()
    upgrade()
    for line in sync_builtin_packs(plugin_manager()):
        click.echo(line)
    db.session.commit()
    if before is not None and before in PRE_DERIVED_REVISIONS:
        # The migration added the stored scores, rates and plans empty: fill them once.
        counts = refresh_all()
        db.session.commit()
        click.echo("stored values computed: {scores} scores, {plans} plans, {reports} reports".format(**counts))
    click.echo("database ready: " + current_app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1])


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Add demo organizations, users (one per role) and the seeds' real projects."""
    from demo import DEMO_PASSWORD, DEMO_USERS
    from demo import seed_demo as run

    for line in run():
        click.echo(line)
    click.echo(f"demo users (password {DEMO_PASSWORD}): " + ", ".join(u[0] for u in DEMO_USERS))


definitions = AppGroup("definitions", help="Form definition tools.")


@definitions.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, path_type=Path))
def definitions_check(paths: tuple[Path, ...]) -> None:
    """Validate definition files; exit 1 with one line per error."""
    from core.definitions.loader import load_definition
    from core.definitions.errors import DefinitionInvalid

    files = [f for p in paths for f in (sorted(p.rglob("*.json")) if p.is_dir() else [p])]
    failed = 0
    for file in files:
        if file.name == "pack.json":
            continue
        try:
            load_definition(file)
        except DefinitionInvalid as invalid:
            failed += 1
            for problem in invalid.problems:
                click.echo(f"{file}: {problem.path}: {problem.message}")
    click.echo(f"{len(files) - failed} valid, {failed} invalid", err=True)
    sys.exit(1 if failed else 0)


packs = AppGroup("packs", help="Jurisdiction packs.")


@packs.command("sync")
@click.option("--force", is_flag=True, help="Apply changed files even where an admin changed the same setting or form.")
def packs_sync(force: bool = False) -> None:
    """Store the packs of the installed plugins (a changed form becomes a new version).

    What an admin changed in the browser is kept unless the file changed since the
    last sync and --force is given (docs/packs.md, "Built-in packs and admin edits").
    """
    from core.jurisdictions import sync_builtin_packs
    from core.plugins import plugin_manager

    lines = sync_builtin_packs(plugin_manager(), force=force)
    db.session.commit()
    click.echo("\n".join(lines) or "all packs up to date")


#: What the commands that need the database say on a fresh checkout.
NO_SCHEMA = "the database has no tables yet: run `flask --app wsgi init-db` first"


def schema_problem() -> str | None:
    """Why the installation's tables cannot be read (a fresh checkout, no server), or None."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import DBAPIError

    try:
        if inspect(db.engine).has_table("jurisdiction"):
            return None
    except DBAPIError as error:
        return f"the database cannot be reached ({str(error.orig).strip().splitlines()[0][:200]})"
    return NO_SCHEMA


def require_schema() -> None:
    """Stop with a clear message (not a traceback) when the tables cannot be read."""
    reason = schema_problem()
    if reason is not None:
        raise click.ClickException(reason)


@packs.command("export")
@click.argument("code")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file (default: standard output).")
def packs_export(code: str, output: Path | None) -> None:
    """Write jurisdiction CODE as one pack file (settings and newest published forms)."""
    import json

    from core.admin.service import by_code, export_doc

    require_schema()
    jurisdiction = by_code(code)
    if jurisdiction is None:
        click.echo(f"no jurisdiction with code {code!r}", err=True)
        sys.exit(1)
    text = json.dumps(export_doc(jurisdiction), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{code}: written to {output}", err=True)


@packs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True,
              help="Validate only; write nothing. Needs no database: the checks against the installation "
                   "(the parent exists, an existing jurisdiction keeps its parent) run when it is initialised.")
def packs_import(file: Path, check_only: bool) -> None:
    """Import a pack file: validated completely first, then stored in one transaction.

    A new code creates the jurisdiction; an existing one gets its changed forms as new
    published versions. Files over 10 MB are refused. Exit 1 with one line per problem.
    A new top-level jurisdiction has no admin yet: grant one with
    `flask --app wsgi users grant USERNAME admin --jurisdiction CODE`.
    """
    from core.admin.service import MAX_PACK_BYTES, AdminRefused, check_import, import_pack, read_pack_bytes
    from core.definitions.errors import DefinitionInvalid
    from core.definitions.pack import pack_from_json

    size = file.stat().st_size
    if size > MAX_PACK_BYTES:
        click.echo(f"{file}: file too large ({size / 1024 / 1024:.1f} MB; the limit is "
                   f"{MAX_PACK_BYTES // 1024 // 1024} MB): nothing imported", err=True)
        sys.exit(1)
    with file.open("rb") as handle:
        doc, problems = read_pack_bytes(handle.read(MAX_PACK_BYTES + 1), str(file))
    schema = None
    if not problems:
        try:  # the file itself: no database needed
            pack_from_json(doc)
        except DefinitionInvalid as invalid:
            problems = invalid.problems
    if not problems:
        schema = schema_problem()
        if schema is not None and not check_only:
            click.echo(f"{file}: valid, but {schema}: nothing imported", err=True)
            sys.exit(1)
    if not problems and schema is None:
        if check_only:
            _pack, problems = check_import(doc)
        else:
            try:
                jurisdiction, published, created = import_pack(doc)
                db.session.commit()
            except AdminRefused as refused:
                db.session.rollback()
                problems = refused.problems
    if problems:
        for item in problems:
            click.echo(f"{file}: {item.path}: {item.message}" if item.path and item.path != str(file)
                       else f"{file}: {item.message}", err=True)
        click.echo(f"{len(problems)} problem(s): nothing imported", err=True)
        sys.exit(1)
    if check_only:
        if schema is not None:
            click.echo(f"{file}: valid (the file; not checked against the installation, since {schema})")
        else:
            click.echo(f"{file}: valid")
        return
    click.echo(f"{jurisdiction.code}: {'created' if created else 'updated'}")
    for row in published:
        click.echo(f"{jurisdiction.code}: {row.kind} v{row.version} published")
    if created and jurisdiction.parent is None:
        click.echo(f"{jurisdiction.code}: no admin yet; grant one with "
                   f"`flask --app wsgi users grant USERNAME admin --jurisdiction {jurisdiction.code}`")


@click.command("score")
@with_appcontext
@click.option("--definition", "definition_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A definition file with a `scoring` section (e.g. form_definitions/futian/self_evaluation.json).")
@click.option("--data", "data_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSON: {"fields": {...}, "scores": {leaf_id: {...}}, "actuals": {goal_row_id: "..."}}.')
@click.option("--goal", "goal_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='The goal form whose indicator rows make the leaves of `from_goal` groups: its data '
                   '({"indicators": [...]}) or the API\'s submission document ({"data": {...}}).')
@click.option("--goal-definition", "goal_definition_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The goal form's definition (e.g. form_definitions/boye/goal.json): checks each `from_goal` "
                   "level and names it in messages.")
def score_command(definition_path: Path, data_path: Path, goal_path: Path | None,
                  goal_definition_path: Path | None) -> None:
    """Score filled data against a definition; print every leaf, the totals and the grade as JSON.

    A definition with `from_goal` groups (the national default self-evaluation) is
    scored per project: pass the goal with --goal, as the app does when a
    self-evaluation is started. See docs/scoring.md, "Scoring from the command line".
    """
    import json

    from core.definitions.errors import DefinitionInvalid
    from core.definitions.loader import load_definition
    from core.plugins import hook, scoring_registry
    from core.scoring import bind_hooks, instantiate_from_goal, load_scoring, score
    from core.selfeval.actuals import leaf_rows

    data = _json_file(data_path)
    if not isinstance(data, dict) or not isinstance(data.get("scores", {}), dict) \
            or not isinstance(data.get("actuals", {}), dict):
        click.echo(f'{data_path}: expected {{"fields": {{…}}, "scores": {{leaf_id: {{…}}}}}}', err=True)
        sys.exit(1)

    def fail(where: Path, problems) -> None:
        for problem in problems:
            click.echo(f"{where}: {problem.path}: {problem.message}", err=True)
        sys.exit(1)

    try:
        definition = load_definition(definition_path)
    except DefinitionInvalid as invalid:
        fail(definition_path, invalid.problems)
    if not definition.raw.get("scoring"):
        raise click.ClickException(f"{definition_path}: the definition has no `scoring` section")
    scoring = definition.raw["scoring"]
    if goal_path is not None:
        try:
            scoring = instantiate_from_goal(scoring, _goal_definition(goal_definition_path), _goal_data(goal_path))
        except DefinitionInvalid as invalid:  # a level without rows, row weights that do not add up
            fail(goal_path, invalid.problems)
    elif _has_from_goal(scoring.get("nodes")):
        raise click.ClickException(
            f"{definition_path}: its scoring has `from_goal` groups, whose leaves are the goal form's indicator "
            'rows: pass the goal with --goal goal.json (docs/scoring.md, "Scoring from the command line")')
    try:
        tree = load_scoring(scoring, scoring_registry())
    except DefinitionInvalid as invalid:
        fail(definition_path, invalid.problems)
    scores = {key: dict(value) if isinstance(value, dict) else value
              for key, value in (data.get("scores") or {}).items()}
    # An actual typed against a goal row (as in the goals vs actuals table) is the
    # input of the leaf made from that row, unless the leaf's own input gives one.
    rows = leaf_rows({"scoring": scoring})
    for row_id, actual in (data.get("actuals") or {}).items():
        if row_id in rows and isinstance(scores.setdefault(rows[row_id], {}), dict):
            scores[rows[row_id]].setdefault("actual", actual)
    result = score(tree, scores, fields=data.get("fields") or {}, hooks=bind_hooks(hook(), jurisdiction=None))
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    if not result.ok:
        for problem in result.problems:
            click.echo(f"{data_path}: {problem.path}: {problem.message}", err=True)
        sys.exit(1)


def _json_file(path: Path):
    """A JSON file's content, or exit 1 naming the file."""
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        click.echo(f"{path}: not valid JSON: {error}", err=True)
        sys.exit(1)


def _has_from_goal(nodes) -> bool:
    """Whether a scoring tree still has ``from_goal`` groups without their leaves."""
    return any(isinstance(node, dict) and ((node.get("from_goal") and not node.get("children"))
                                           or _has_from_goal(node.get("children")))
               for node in nodes or ())


def _goal_data(path: Path) -> dict:
    """The goal form's data from ``path``: the data itself or the API's submission document."""
    goal = _json_file(path)
    if isinstance(goal, dict) and isinstance(goal.get("data"), dict):
        goal = goal["data"]  # GET /api/v1/projects/<id>/submissions/goal
    if not isinstance(goal, dict) or not isinstance(goal.get("indicators"), list):
        click.echo(f'{path}: expected the goal form\'s data, {{"indicators": [{{"id", "level1", "level2", "name", '
                   f'"target", …}}, …]}}, or the API\'s submission document {{"data": {{…}}}}', err=True)
        sys.exit(1)
    return goal


def _goal_definition(path: Path | None) -> dict:
    """The goal form's definition, or ``{}`` (levels then go unchecked)."""
    from core.definitions.errors import DefinitionInvalid
    from core.definitions.loader import load_definition

    if path is None:
        return {}
    try:
        loaded = load_definition(path)
    except DefinitionInvalid as invalid:
        for problem in invalid.problems:
            click.echo(f"{path}: {problem.path}: {problem.message}", err=True)
        sys.exit(1)
    if loaded.kind != "goal":
        raise click.ClickException(f"{path}: not a goal form (its kind is {loaded.kind!r})")
    return dict(loaded.raw)
