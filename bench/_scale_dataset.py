"""The province-scale dataset of ``bench/bench_scale.py``, built fast on PostgreSQL.

1. a fresh schema (``drop_all`` + ``create_all``) and the built-in packs;
2. ONE template project of Futian (福田, whose pack has goal, self-evaluation and
   monitoring forms) taken through the real services, as ``demo/`` does: the goal form
   of 区退休职工管理 2022 filled, submitted and approved; its self-evaluation scored
   (total 95.00), submitted and approved; its June (``m06``) monitoring report submitted;
3. its rows cloned with SQLAlchemy Core ``insert()`` executemany, one per table:
   20 child jurisdictions (``parent_id`` = Futian, its settings and its forms), 1,000
   organizations spread over them, and N projects in all (the template counts as
   one), each with its goal form and every row hanging off it; a quarter keep their
   self-evaluation, a sixth their monitoring report.

Nothing is cloned by name. The tables that hang off a project are found by foreign
key (any table with a key to ``project`` or to such a table, transitively), and every
column of a template row is copied; only primary keys, foreign keys and names are
replaced. A column or table another change adds (stored totals, a planned-execution
table keyed by project) is cloned without touching this file. Ids are explicit (max
id + 1 upwards), and the sequences are moved past them afterwards.
"""
from __future__ import annotations

import random
import time
from functools import lru_cache
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

TEMPLATE_JURISDICTION = "futian"
TEMPLATE_FILE = "futian_2022.json"      # demo/: the seed's goal form, as transcribed
TEMPLATE_ORGANIZATION = "福田区总工会"   # the organization demo/futian_2022.json names
ROUND_ID = "m06"                         # the June round of Futian's monitoring form
PASSWORD = "bench-scale-1"
CHILDREN = 20
ORGANIZATIONS = 1_000
SELF_EVALUATION_EVERY = 4                # a quarter of the projects
MONITORING_EVERY = 6                     # a sixth

#: Tables with a key to ``jurisdiction`` that are not cloned per child jurisdiction:
#: people, history and assessments are built (or not) on their own.
NOT_PER_JURISDICTION = frozenset({"organization", "membership", "audit_event", "assessment", "user_account"})
#: Row ids kept inside JSON documents (the schema cannot say so): key → table.
JSON_ID_KEYS = {"goal_revision_id": "submission_revision"}
#: The audit trail points at its objects by (object_type, object_id), not by foreign key.
AUDIT_TABLE, AUDIT_TYPE, AUDIT_ID = "audit_event", "object_type", "object_id"
#: Names of the cloned projects: a word a user would search for, then a number.
NAME_WORDS = ("退休职工管理", "困难职工帮扶", "劳模体检慰问", "职工技能培训", "女职工关爱",
              "法律援助服务", "职工文体活动", "节日送温暖")


@dataclass
class Dataset:
    """What the benchmark needs to know about the built data."""

    year: int
    round_id: str
    parent_code: str
    child_codes: list[str]
    template_project_id: int
    name_fragment: str
    usernames: dict[str, str]           # role → username
    api_secret: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------------- entry ------

def build(app, projects: int, log=print) -> Dataset:
    """Build the whole dataset with ``projects`` projects in ``app``'s (empty) database."""
    from core.extensions import db

    seconds = {}
    with app.app_context():
        started = time.perf_counter()
        fresh_schema()
        users = create_users()
        template = build_template(users)
        secret = issue_token(users["reviewer"])
        db.session.commit()
        seconds["template"] = time.perf_counter() - started
        log(f"  template project {template.id} through the services: {seconds['template']:.1f} s")
        started = time.perf_counter()
        with db.engine.begin() as conn:
            children = clone_all(conn, template.id, projects)
            reset_sequences(conn)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
        seconds["clone"] = time.perf_counter() - started
        counts = table_counts()
        log(f"  cloned to {counts['project']:,} projects: {seconds['clone']:.1f} s "
            f"({', '.join(f'{k} {v:,}' for k, v in counts.items())})")
        return Dataset(year=template.year, round_id=ROUND_ID, parent_code=TEMPLATE_JURISDICTION,
                       child_codes=children, template_project_id=template.id, name_fragment=NAME_WORDS[2],
                       usernames={role: user.username for role, user in users.items()}, api_secret=secret,
                       counts=counts, seconds=seconds)


def fresh_schema() -> None:
    """Every table dropped and created again, then the built-in packs (as tests/conftest.py)."""
    from core.extensions import db
    from core.jurisdictions import sync_builtin_packs
    from core.plugins import plugin_manager

    db.drop_all()
    db.create_all()
    sync_builtin_packs(plugin_manager())
    db.session.commit()


# ---------------------------------------------------------------------- template ------

def create_users() -> dict:
    """The template's filer, and a reviewer, a leader and an admin of Futian (the top
    jurisdiction, so of all 20 children too)."""
    from core.extensions import db
    from core.models import Jurisdiction, Membership, Organization, Role, User

    futian = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == TEMPLATE_JURISDICTION))
    organization = Organization(jurisdiction=futian, name=TEMPLATE_ORGANIZATION)
    users = {}
    # demo/ finds its users by these names.
    for role, username in ((Role.FILER, "futian_filer"), (Role.REVIEWER, "futian_reviewer"),
                           (Role.LEADER, "futian_leader"), (Role.ADMIN, "futian_admin")):
        user = User(username=username, display_name=username)
        user.set_password(PASSWORD)
        scope = {"organization": organization} if role is Role.FILER else {"jurisdiction": futian}
        user.memberships.append(Membership(role=role.value, **scope))
        db.session.add(user)
        users[role.value] = user
    db.session.commit()
    return users


def build_template(users: dict):
    """Futian's 区退休职工管理 2022 through the services: goal approved, self-evaluation
    submitted and approved, June monitoring report submitted."""
    from demo import _futian_self_evaluation, _load_projects
    from demo.monitoring import _futian_june

    from core.extensions import db
    from core.models import Jurisdiction, MonitoringReport, Project
    from core.workflow import service

    by_name = {"futian_filer": users["filer"], "futian_reviewer": users["reviewer"]}
    jurisdictions = {j.code: j for j in db.session.scalars(sa.select(Jurisdiction))}
    _load_projects(TEMPLATE_FILE, jurisdictions, by_name, submit=True, approve_by="futian_reviewer")
    _futian_self_evaluation(by_name)
    project = db.session.scalar(sa.select(Project))
    service.apply_transition(project.submission("self_evaluation"), "approve", users["reviewer"], comment="同意")
    db.session.commit()
    _futian_june(by_name)
    db.session.commit()
    report = db.session.scalar(sa.select(MonitoringReport).where(MonitoringReport.project_id == project.id))
    states = {kind: getattr(project.submission(kind), "state", None) for kind in ("goal", "self_evaluation")}
    states["monitoring"] = report.state if report is not None else None
    expected = {"goal": "approved", "self_evaluation": "approved", "monitoring": "submitted"}
    if states != expected:
        raise RuntimeError(f"template project not where the benchmark needs it: {states}, expected {expected}")
    return project


def issue_token(user) -> str:
    """An API token of ``user``; returns its secret."""
    from core.extensions import db
    from core.models import ApiToken

    token, secret = ApiToken.issue(user, "bench_scale")
    db.session.add(token)
    return secret


# ------------------------------------------------------------------------- clone ------

class Ids:
    """Explicit new ids per table: max id + 1 upwards (one executemany per table, no RETURNING)."""

    def __init__(self, conn, tables):
        self.next = {}
        for table in tables:
            pk = single_id(table)
            if pk is not None:
                self.next[table.name] = (conn.scalar(sa.select(sa.func.max(pk))) or 0) + 1

    def take(self, table_name: str) -> int:
        value = self.next[table_name]
        self.next[table_name] = value + 1
        return value


@lru_cache(maxsize=None)
def single_id(table: sa.Table):
    """The table's integer primary key column when it has exactly one, else None."""
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, sa.Integer):
        return pk[0]
    return None


def project_tables(metadata) -> list[sa.Table]:
    """``project`` and every table hanging off it by foreign key, in insert order."""
    found = {"project"}
    for table in metadata.sorted_tables:
        if any(fk.column.table.name in found for fk in table.foreign_keys):
            found.add(table.name)
    return [t for t in metadata.sorted_tables if t.name in found]


def jurisdiction_tables(metadata, exclude) -> list[sa.Table]:
    """Tables holding a jurisdiction's own configuration (its forms), found by foreign key."""
    return [t for t in metadata.sorted_tables
            if t.name not in exclude and t.name != "jurisdiction"
            and any(fk.column.table.name == "jurisdiction" for fk in t.foreign_keys)]


@lru_cache(maxsize=None)
def json_columns(table: sa.Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns if isinstance(c.type, sa.JSON))


@lru_cache(maxsize=None)
def fk_targets(table: sa.Table) -> dict[str, str]:
    """Column name → referenced table, for single-column keys to an ``id``-like primary key."""
    return {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}


def rows_where(conn, table: sa.Table, condition) -> list[dict]:
    pk = list(table.primary_key.columns)
    return [dict(r._mapping) for r in conn.execute(sa.select(table).where(condition).order_by(*pk))]


def template_rows(conn, tables: list[sa.Table], project_id: int) -> dict[str, list[dict]]:
    """The template project's row of each table: rows whose key points at a template row."""
    rows, ids = {}, {}
    for table in tables:
        if table.name == "project":
            condition = table.c.id == project_id
        else:
            keys = [table.c[col].in_(ids[target]) for col, target in fk_targets(table).items() if target in ids]
            condition = sa.or_(*keys) if keys else sa.false()
        rows[table.name] = rows_where(conn, table, condition)
        pk = single_id(table)
        if pk is not None:
            ids[table.name] = [r[pk.name] for r in rows[table.name]]
    return rows


def copy_row(table: sa.Table, row: dict, maps: dict[str, dict], ids: Ids | None, owned: set[str]) -> dict | None:
    """``row`` with a new id and its keys moved to the clone's rows; None when a key points at
    a row of ``owned`` tables the clone does not have (a self-evaluation left out)."""
    new = dict(row)
    for column, target in fk_targets(table).items():
        old = row[column]
        if old is None or target not in maps:
            continue
        mapped = maps[target].get(old)
        if mapped is None:
            if target in owned:
                return None
            continue
        new[column] = mapped
    for column in json_columns(table):
        if isinstance(new[column], dict):
            new[column] = _json_ids(new[column], maps)
    pk = single_id(table)
    if pk is not None and ids is not None:
        new[pk.name] = ids.take(table.name)
        maps.setdefault(table.name, {})[row[pk.name]] = new[pk.name]
    return new


def _json_ids(doc: dict, maps: dict[str, dict]) -> dict:
    hits = {k: t for k, t in JSON_ID_KEYS.items() if k in doc and doc[k] in maps.get(t, {})}
    if not hits:
        return doc
    return {**doc, **{k: maps[t][doc[k]] for k, t in hits.items()}}


def keep(table_name: str, row: dict, index: int) -> bool:
    """Which template rows clone ``index`` has: every project a goal form, a quarter a
    self-evaluation, a sixth a monitoring report (their dependents follow by key)."""
    if table_name == "submission" and row.get("kind") == "self_evaluation":
        return index % SELF_EVALUATION_EVERY == 0
    if table_name == "monitoring_report":
        return index % MONITORING_EVERY == 0
    return True


def clone_all(conn, template_id: int, projects: int) -> list[str]:
    """Clone the template into children, organizations and ``projects`` - 1 projects; return
    the children's codes."""
    from core.extensions import db

    metadata = db.metadata
    ids = Ids(conn, metadata.sorted_tables)
    owned_tables = project_tables(metadata)
    owned = {t.name for t in owned_tables}
    template = template_rows(conn, owned_tables, template_id)
    organization = conn.execute(sa.select(metadata.tables["organization"]).where(
        metadata.tables["organization"].c.id == template["project"][0]["organization_id"])).mappings().one()
    child_maps, codes = clone_jurisdictions(conn, metadata, ids, organization["jurisdiction_id"], owned)
    organizations = clone_organizations(conn, metadata, ids, dict(organization), child_maps)
    clone_projects(conn, metadata, ids, owned_tables, template, organizations, child_maps, projects)
    return codes


def clone_jurisdictions(conn, metadata, ids: Ids, parent_id: int, owned: set[str]):
    """CHILDREN jurisdictions under the template's, with its settings and its own forms
    (every table keyed by jurisdiction except people and history). Returns one map
    ``{table: {template id: child id}}`` per child, and the children's codes."""
    table = metadata.tables["jurisdiction"]
    parent = conn.execute(sa.select(table).where(table.c.id == parent_id)).mappings().one()
    configuration = {t.name: (t, rows_where(conn, t, sa.or_(*[t.c[c] == parent_id for c, target in
                                                             fk_targets(t).items() if target == "jurisdiction"])))
                     for t in jurisdiction_tables(metadata, NOT_PER_JURISDICTION | owned)}
    maps, codes, inserts = [], [], {"jurisdiction": []}
    for number in range(1, CHILDREN + 1):
        child = dict(parent, id=ids.take("jurisdiction"), parent_id=parent_id, builtin=False,
                     code=f"{parent['code']}_{number:02d}", name_zh=f"{parent['name_zh']}·下属{number:02d}",
                     name_en=f"{parent['name_en']} / unit {number:02d}")
        inserts["jurisdiction"].append(child)
        codes.append(child["code"])
        child_map = {"jurisdiction": {parent_id: child["id"]}}
        for name, (conf_table, rows) in configuration.items():
            inserts.setdefault(name, []).extend(copy_row(conf_table, r, child_map, ids, set()) for r in rows)
        maps.append(child_map)
    for name, rows in inserts.items():
        insert(conn, metadata.tables[name], rows)
    return maps, codes


def clone_organizations(conn, metadata, ids: Ids, template: dict, child_maps) -> list[tuple[int, int]]:
    """ORGANIZATIONS organizations spread over the children; returns (organization id, child index)."""
    rows, placed = [], []
    for number in range(ORGANIZATIONS):
        child = number % len(child_maps)
        row = dict(template, id=ids.take("organization"),
                   jurisdiction_id=child_maps[child]["jurisdiction"][template["jurisdiction_id"]],
                   name=f"{template['name']}·单位{number + 1:04d}", code=f"B{number + 1:04d}")
        rows.append(row)
        placed.append((row["id"], child))
    insert(conn, metadata.tables["organization"], rows)
    return placed


def clone_projects(conn, metadata, ids: Ids, tables, template, organizations, child_maps, projects: int) -> None:
    """``projects`` - 1 copies of the template project with every row hanging off it, and the
    audit events about those rows; one executemany per table."""
    inserts = {t.name: [] for t in tables}
    audit = metadata.tables.get(AUDIT_TABLE)
    audit_rows = template_audit(conn, audit, template) if audit is not None else []
    inserts[AUDIT_TABLE] = []
    owned = set(inserts) - {AUDIT_TABLE}
    source = template["project"][0]
    for index in range(1, projects):
        organization_id, child = organizations[index % len(organizations)]
        maps = {**child_maps[child], "organization": {source["organization_id"]: organization_id}}
        for table in tables:
            for row in template[table.name]:
                if not keep(table.name, row, index):
                    continue
                new = copy_row(table, row, maps, ids, owned)
                if new is not None:
                    inserts[table.name].append(project_overrides(new, index) if table.name == "project" else new)
        inserts[AUDIT_TABLE].extend(copy_audit(audit, audit_rows, maps, ids))
    for table in tables:
        insert(conn, table, inserts[table.name])
    if audit is not None:
        insert(conn, audit, inserts[AUDIT_TABLE])


def project_overrides(row: dict, index: int) -> dict:
    """A distinct name and code and a varied budget (1.00–500.00 in the jurisdiction's unit)."""
    word = NAME_WORDS[index % len(NAME_WORDS)]
    budget = Decimal(random.Random(index).randrange(100, 50_000)) / 100
    return {**row, "name": f"{word}项目{index:05d}", "code": f"BENCH-{index:06d}", "budget": budget}


def template_audit(conn, audit: sa.Table, template: dict) -> list[dict]:
    """Audit events whose (object_type, object_id) names a template row of a cloned table."""
    pairs = [(name, row["id"]) for name, rows in template.items() for row in rows if "id" in row]
    if not pairs:
        return []
    return rows_where(conn, audit, sa.tuple_(audit.c[AUDIT_TYPE], audit.c[AUDIT_ID]).in_(pairs))


def copy_audit(audit: sa.Table, rows: list[dict], maps: dict, ids: Ids) -> list[dict]:
    copies = []
    for row in rows:
        target = maps.get(row[AUDIT_TYPE], {}).get(row[AUDIT_ID])
        if target is None:  # about a row this clone does not have
            continue
        new = copy_row(audit, row, maps, ids, set())
        new[AUDIT_ID] = target
        copies.append(new)
    return copies


def insert(conn, table: sa.Table, rows: list[dict]) -> None:
    if rows:
        conn.execute(table.insert(), rows)


def reset_sequences(conn) -> None:
    """Move every serial sequence past the explicit ids, so later inserts work."""
    from core.extensions import db

    for table in db.metadata.sorted_tables:
        pk = single_id(table)
        if pk is None:
            continue
        conn.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "
            f"coalesce((SELECT max({pk.name}) FROM {table.name}), 0) + 1, false)"),
            {"table": table.name, "column": pk.name})


def table_counts() -> dict[str, int]:
    from core.extensions import db

    names = ("jurisdiction", "organization", "project", "submission", "submission_revision", "review",
             "monitoring_report", "planned_execution", "audit_event")
    counts = {}
    with db.engine.connect() as conn:
        for name in names:
            if name in db.metadata.tables:
                counts[name] = conn.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables[name]))
        counts["self_evaluation"] = conn.scalar(sa.text("SELECT count(*) FROM submission WHERE kind = 'self_evaluation'"))
    return counts
