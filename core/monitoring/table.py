"""Finance's monitoring table: one row per project, filtered, sorted and paged in SQL.

The lights, rates and alert counts are columns a report stores when it is saved
(core.monitoring.service.store_derived), and the planned rate of a project without
a report comes from its stored spending plan (core/derived.py), so the table is a
handful of statements at any number of projects. Query-string values come as they
are: an unknown filter or sort value is ignored, a malformed number is a 400.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from core.i18n import today as local_today
from core.auth import access
from core.extensions import db
from core.listing import int_arg, matches
from core.models import (FormDefinition, FundingSuspension, Jurisdiction, MonitoringReport, Organization,
                         PlannedExecution, Project, Role, Submission, SubmissionRevision, User)
from core.monitoring import service
from core.monitoring.settings import SEVERITY, Round
from core.workflow.service import latest_published_many


@dataclass
class Row:
    project_id: int
    name: str
    organization: str
    organization_id: int
    jurisdiction: str
    budget: Decimal
    multi_year: bool = False
    round_id: str | None = None       # this project's round matching the one chosen (None: it has none)
    report_id: int | None = None
    state: str | None = None          # None: no report yet
    light: str | None = None          # the project light of a submitted report
    budget_light: str | None = None
    execution_rate: Decimal | None = None
    planned_rate: Decimal | None = None
    progress: Decimal | None = None   # budget v
    counts: dict = field(default_factory=dict)
    alerts: list = field(default_factory=list)
    suspension: str | None = None     # state of an active suspension
    suspension_id: int | None = None
    can_suspend: bool = False         # the viewer is finance of this project's jurisdiction
    can_file: bool = False            # the viewer files this project's reports


LIGHT_FILTERS = ("red", "yellow", "green", "blue", "none")
STATE_FILTERS = ("submitted", "draft", "returned", "missing")
SORT_KEYS = ("light", "name", "organization", "budget", "execution_rate", "planned_rate", "progress", "state",
             "alerts")


def runs_in(year: int):
    """Projects whose implementation period includes ``year``."""
    return and_(Project.year <= year,
                or_(Project.year == year, Project.multi_year.is_(True) & (Project.end_year >= year)))


def has_approved_goal(goal):
    """``goal`` (a goal-form Submission alias) has an approved revision."""
    return select(SubmissionRevision.id).where(SubmissionRevision.submission_id == goal.id,
                                               SubmissionRevision.event == "approved").exists()


class TableQuery:
    """The table's SELECT for one year and round: projects in view with an approved goal,
    their report of the round, stored plan and active suspension."""

    def __init__(self, visible_ids, year: int, rounds_by_jurisdiction: dict[int, Round]):
        self.year = year
        self.goal = aliased(Submission)
        self.report = aliased(MonitoringReport)
        self.plan = aliased(PlannedExecution)
        active = select(FundingSuspension.project_id, func.max(FundingSuspension.id).label("id")) \
            .where(FundingSuspension.state != "lifted").group_by(FundingSuspension.project_id).subquery()
        self.suspension = aliased(FundingSuspension)
        self.active = active
        submitted = self.report.state == "submitted"
        self.light = case((submitted, self.report.project_light))
        self.round_id = _round_case(rounds_by_jurisdiction, lambda r: r.id)
        self.month = _round_case(rounds_by_jurisdiction, lambda r: r.month)
        self.planned = case((submitted, self.report.planned_rate), else_=self.plan.rate)
        self.base = (
            select(Project.id)
            .join(Organization, Organization.id == Project.organization_id)
            .join(self.goal, and_(self.goal.project_id == Project.id, self.goal.kind == "goal"))
            .outerjoin(self.report, and_(self.report.project_id == Project.id, self.report.year == year,
                                         self.report.round_id == self.round_id))
            .outerjoin(self.plan, and_(self.plan.project_id == Project.id, self.plan.month == self.month))
            .outerjoin(active, active.c.project_id == Project.id)
            .outerjoin(self.suspension, self.suspension.id == active.c.id)
            .where(Project.id.in_(visible_ids), runs_in(year), has_approved_goal(self.goal))
        )

    def filtered(self, light: str = "", state: str = "", organization: int | None = None, suspended: str = "",
                 q: str = ""):
        query = self.base
        if light == "none":
            query = query.where(self.light.is_(None))
        elif light in LIGHT_FILTERS:
            query = query.where(self.light == light)
        if state == "missing":
            query = query.where(self.report.id.is_(None))
        elif state in STATE_FILTERS:
            query = query.where(self.report.state == state)
        if organization:
            query = query.where(Project.organization_id == organization)
        if suspended in ("yes", "no"):
            query = query.where(self.suspension.id.is_not(None) if suspended == "yes" else self.suspension.id.is_(None))
        if q:
            query = query.where(matches(q, Project.name, Project.code, Organization.name))
        return query

    def sort_key(self, key: str):
        """The SQL expression a sort key orders by (None sorts last whatever the direction)."""
        submitted = self.report.state == "submitted"
        return {
            "light": case(*((self.light == light, rank) for light, rank in SEVERITY.items())),
            "name": Project.name,
            "organization": Organization.name,
            "budget": Project.budget,
            "execution_rate": case((submitted, self.report.execution_rate)),
            "planned_rate": self.planned,
            "progress": case((submitted, self.report.progress)),
            "state": self.report.state,
            "alerts": case((submitted, self.report.alert_count)),
        }[key if key in SORT_KEYS else "light"]

    def ordered(self, query, key: str, descending: bool):
        expression = self.sort_key(key)
        direction = expression.desc() if descending else expression.asc()
        return query.order_by(expression.is_(None), direction, Project.name, Project.id)

    def rows_query(self, ids_query):
        """The columns of the rows of one page (``ids_query``: the page's ordered project ids)."""
        return (ids_query.with_only_columns(
            Project.id, Project.name, Project.budget, Project.multi_year, Project.organization_id,
            Organization.name, Organization.jurisdiction_id, self.round_id, self.report.id, self.report.state,
            self.light, self.report.budget_light, self.report.execution_rate, self.planned, self.report.progress,
            self.report.lights, self.report.alerts, self.suspension.state, self.suspension.id,
            maintain_column_froms=True))

    def summary(self):
        """Projects per light filter value, over every row of the year and round."""
        return self.base.with_only_columns(self.light, func.count(), maintain_column_froms=True) \
            .group_by(self.light)


def _round_case(rounds_by_jurisdiction: dict[int, Round], attribute):
    """A CASE on the project's jurisdiction giving ``attribute`` of its matching round."""
    groups: dict = {}
    for jurisdiction_id, round in rounds_by_jurisdiction.items():
        groups.setdefault(attribute(round), []).append(jurisdiction_id)
    if not groups:
        return literal(None)
    return case(*((Organization.jurisdiction_id.in_(ids), literal(value)) for value, ids in groups.items()))


def counts_of(lights: dict | None) -> dict[str, int]:
    """How many indicators have each light, from a report's stored lights."""
    out: dict[str | None, int] = {}
    for item in (lights or {}).get("indicators") or ():
        out[item.get("light")] = out.get(item.get("light"), 0) + 1
    return out


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def make_row(values, jurisdiction_names: dict[int, str], supervised: set[int], filed: set[int]) -> Row:
    """A :class:`Row` from one result row of :meth:`TableQuery.rows_query`."""
    (project_id, name, budget, multi_year, organization_id, organization, jurisdiction_id, round_id, report_id,
     state, light, budget_light, execution_rate, planned, progress, lights, alerts, suspension,
     suspension_id) = values
    submitted = state == "submitted"
    return Row(project_id=project_id, name=name, organization=organization, organization_id=organization_id,
               jurisdiction=jurisdiction_names.get(jurisdiction_id, ""), budget=budget,
               multi_year=bool(multi_year), round_id=round_id, report_id=report_id, state=state, light=light,
               budget_light=budget_light if submitted else None,
               execution_rate=_decimal(execution_rate) if submitted else None, planned_rate=_decimal(planned),
               progress=_decimal(progress) if submitted else None,
               counts=counts_of(lights) if submitted else {}, alerts=list(alerts or []) if submitted else [],
               suspension=suspension, suspension_id=suspension_id,
               can_suspend=jurisdiction_id in supervised, can_file=organization_id in filed)



# ------------------------------------------------------------ the whole table ------

@dataclass
class MonitoringTable:
    """The table a user asked for with a query string: used by the page (one page of it)
    and by the export job (every row), so both show the same rows in the same order."""

    year: int
    rounds: list[Round]
    chosen: Round | None
    sql: TableQuery
    filters: dict
    sort: str
    descending: bool
    jurisdiction_ids: list[int]

    @property
    def query(self) -> dict:
        """The query string that reproduces this table."""
        return {"year": self.year, "round": self.chosen.id if self.chosen else None,
                **{k: v for k, v in self.filters.items() if v}, "sort": self.sort,
                "dir": "desc" if self.descending else "asc"}

    def ordered_ids(self):
        """A SELECT of the matching project ids, in the table's order."""
        return self.sql.ordered(self.sql.filtered(**self.filters),
                                self.sort, self.descending)

    def rows(self, project_ids: list[int], user: User) -> list[Row]:
        """The :class:`Row` of each id, in the order given: one statement (plus one for names)."""
        names = {j.id: j.name() for j in db.session.scalars(select(Jurisdiction).where(
            Jurisdiction.id.in_(self.jurisdiction_ids or [-1])))}
        supervised = access.jurisdiction_scope(user, Role.REVIEWER)
        filed = access.organization_scope(user, Role.FILER)
        found = {values[0]: make_row(values, names, supervised, filed) for values in db.session.execute(
            self.sql.rows_query(self.sql.base.where(Project.id.in_(project_ids or [-1]))))}
        return [found[i] for i in project_ids if i in found]


def _rounds(definitions: dict[int, FormDefinition]) -> list[Round]:
    """The rounds of the jurisdictions in view (by id), ordered by month."""
    seen: dict[str, Round] = {}
    for definition in definitions.values():
        for r in service.settings_of(definition).rounds:
            seen.setdefault(r.id, r)
    return sorted(seen.values(), key=lambda r: (r.month, r.id))


def _matching_rounds(definitions: dict[int, FormDefinition], chosen: Round, year: int) -> dict[int, Round]:
    """Each jurisdiction's round matching the one chosen: the same id, else the same month."""
    out = {}
    for jurisdiction_id, definition in definitions.items():
        settings = service.settings_of(definition)
        match = settings.round(chosen.id) or next((r for r in settings.rounds if r.month == chosen.month), None)
        if match is not None:
            out[jurisdiction_id] = match.in_year(year)
    return out


def build_table(user: User, args: Mapping[str, str]) -> MonitoringTable:
    """The table of ``args`` (year, round, filters, sort) as ``user`` may see it."""
    year = int_arg("year", None, 2000, 2100, args=args) or service.default_year(user)
    visible = access.visible_projects(user).with_only_columns(Project.id)
    jurisdiction_ids = list(db.session.scalars(
        select(Organization.jurisdiction_id).join(Project).where(Project.id.in_(visible), runs_in(year)).distinct()))
    definitions = latest_published_many(jurisdiction_ids, service.KIND)
    rounds = _rounds(definitions)
    this = local_today()
    default_round = next((r.id for r in reversed(rounds) if year < this.year or r.month <= this.month),
                         rounds[0].id if rounds else "")
    round_id = args.get("round") if args.get("round") in [r.id for r in rounds] else default_round
    chosen = next((r for r in rounds if r.id == round_id), None)
    filters = {"light": args.get("light", ""), "state": args.get("state", ""),
               "organization": int_arg("organization", None, 1, args=args), "suspended": args.get("suspended", ""),
               "q": (args.get("q") or "").strip()[:100]}
    filters["light"] = filters["light"] if filters["light"] in LIGHT_FILTERS else ""
    filters["state"] = filters["state"] if filters["state"] in STATE_FILTERS else ""
    filters["suspended"] = filters["suspended"] if filters["suspended"] in ("yes", "no") else ""
    return MonitoringTable(
        year=year, rounds=rounds, chosen=chosen,
        sql=TableQuery(visible, year, _matching_rounds(definitions, chosen, year) if chosen else {}),
        filters=filters, sort=args.get("sort") if args.get("sort") in SORT_KEYS else "light",
        descending=args.get("dir", "desc") != "asc", jurisdiction_ids=jurisdiction_ids)
