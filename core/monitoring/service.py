"""Monitoring reports: creating, saving, submitting and returning them; the lights and alerts.

Views call these functions; like ``core.workflow.service`` they check permission and
state, write the audit rows and leave the commit to the caller.
"""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import select

from core.audit import record
from core.derived import money_factor
from core.auth import access
from core.definitions.data import validate_data
from core.extensions import db
from core.i18n import today as local_today, current_lang, label
from core.models import FormDefinition, MonitoringReport, Project, SubmissionRevision, User
from core.models.base import utcnow
from core.monitoring.lights import ProjectLights, evaluate, report_problems
from core.monitoring.progress import plan_points
from core.monitoring.settings import MonitoringSettings, Round, monitoring_settings
from core.plugins import hook
from core.workflow.checks import loaded_definition
from core.workflow.service import PREFILL_SOURCES, StaleEdit, latest_published
from core.workflow.transitions import TransitionRefused

KIND = "monitoring"
EDITABLE = frozenset({"draft", "returned"})
STATE_LABELS = {
    "draft": {"zh": "填报中", "en": "Being filled"},
    "submitted": {"zh": "已报送", "en": "Submitted"},
    "returned": {"zh": "已退回", "en": "Returned"},
    None: {"zh": "未填报", "en": "Not started"},
}


# ----------------------------------------------------------------- settings ------

def definition_for(project: Project) -> FormDefinition | None:
    """The latest published monitoring form of the project's jurisdiction."""
    return latest_published(project.organization.jurisdiction_id, KIND)


def settings_of(definition: FormDefinition | None) -> MonitoringSettings:
    return monitoring_settings(definition.body if definition is not None else None)


def approved_goal(project: Project) -> SubmissionRevision | None:
    """The goal form's latest approved revision — the baseline monitoring compares with."""
    goal = project.submission("goal")
    return goal.approved_revision if goal is not None else None


def project_years(project: Project) -> list[int]:
    """The budget years a project runs: one, or ``year``..``end_year`` for a multi-year project."""
    last = project.end_year if project.multi_year and project.end_year and project.end_year > project.year \
        else project.year
    return list(range(project.year, last + 1))


def visible_years(user: User) -> list[int]:
    """Every budget year a project ``user`` sees runs in, newest first (multi-year projects
    count in each year of their period)."""
    spans = db.session.execute(access.visible_projects(user).with_only_columns(
        Project.year, Project.multi_year, Project.end_year).distinct()).all()
    years = {y for year, multi, end in spans
             for y in range(year, (end if multi and end and end > year else year) + 1)}
    return sorted(years, reverse=True)


def default_year(user: User) -> int:
    """The latest budget year (not in the future) with a project ``user`` sees, else this year."""
    years = visible_years(user)
    this_year = local_today().year
    past = [y for y in years if y <= this_year]
    return past[0] if past else (years[-1] if years else this_year)


def report_for(project: Project, year: int, round_id: str) -> MonitoringReport | None:
    return db.session.scalar(select(MonitoringReport).where(
        MonitoringReport.project_id == project.id, MonitoringReport.year == year,
        MonitoringReport.round_id == round_id))


def reports_of(project: Project) -> list[MonitoringReport]:
    """Every report of the project, across years and rounds (multi-year projects)."""
    return list(db.session.scalars(select(MonitoringReport).where(MonitoringReport.project_id == project.id)
                                   .order_by(MonitoringReport.year, MonitoringReport.month)))


# ------------------------------------------------------------------- lights ------

def goal_plan(revision: SubmissionRevision) -> list:
    points = (revision.definition.body.get("milestones") or {}).get("points", [])
    return plan_points(points, revision.data.get("milestones"))


def lights_of(report: MonitoringReport, data: dict | None = None) -> ProjectLights:
    """The lights of ``data`` (default: the report's stored data) against its goal revision."""
    data = report.data if data is None else data
    revision = report.goal_revision or approved_goal(report.project)
    settings = settings_of(report.definition)
    return evaluate(revision.data.get("indicators") or [], data.get("indicators"), data.get("fields"),
                    goal_plan(revision), report.month, settings)


def round_of(report: MonitoringReport) -> Round:
    settings = settings_of(report.definition)
    return settings.round(report.round_id, report.year) or Round(report.round_id, report.month,
                                                                  {"zh": report.round_id}, report.year, settings)


def alerts_for(project: Project, round: Round, lights: ProjectLights) -> list[dict]:
    """Every plugin's ``monitoring_alerts``, flattened to label dicts."""
    alerts = []
    for answer in hook().monitoring_alerts(project=project, round=round, lights=lights):
        for message in answer or ():
            alerts.append(message if isinstance(message, dict) else {"zh": str(message)})
    return alerts


def problems_of(report: MonitoringReport, data: dict, lights: ProjectLights) -> list:
    """Field problems (the definition's own rules) plus missing values and reasons."""
    lang = current_lang()
    _, problems = validate_data(loaded_definition(report.definition),
                                {"fields": data.get("fields") or {}}, lang=lang)
    return list(problems) + report_problems(lights, settings_of(report.definition), lang)


# ----------------------------------------------------------------- workflow ------

def _audit(report: MonitoringReport, action: str, actor: User, comment: str = "", detail=None) -> None:
    project = report.project
    record(f"monitoring.{action}", "monitoring_report", report.id, actor=actor, comment=comment,
           detail={"year": report.year, "round": report.round_id, **(detail or {})},
           jurisdiction_id=project.organization.jurisdiction_id, organization_id=project.organization_id)


def start_report(project: Project, year: int, round_id: str, actor: User) -> MonitoringReport:
    """The project's report for the round, created as a draft if there is none yet."""
    existing = report_for(project, year, round_id)
    if existing is not None:
        return existing
    if not access.can_file_for(actor, project.organization_id):
        raise TransitionRefused(gettext("您无权填报此项目的监控表"))
    if year not in project_years(project):
        raise TransitionRefused(gettext("项目实施期不含 %(year)s 年", year=year))
    revision = approved_goal(project)
    if revision is None:
        raise TransitionRefused(gettext("绩效目标表批复后才能进行绩效监控"))
    definition = definition_for(project)
    if definition is None:
        raise TransitionRefused(gettext("本辖区尚未发布绩效监控表"))
    round = settings_of(definition).round(round_id)
    if round is None:
        raise TransitionRefused(gettext("本辖区没有监控轮次「%(round)s」", round=round_id))
    fields = {spec["id"]: PREFILL_SOURCES[spec["prefill"]](project)
              for section in definition.body.get("sections", []) for spec in section.get("fields", [])
              if spec.get("prefill") in PREFILL_SOURCES}
    report = MonitoringReport(project=project, year=year, round_id=round.id, month=round.month,
                              definition=definition, goal_revision=revision, state="draft",
                              data={"fields": fields, "indicators": {}})
    db.session.add(report)
    db.session.flush()
    _audit(report, "create", actor)
    return report


def _require(report: MonitoringReport, actor: User, lock_version) -> None:
    if not access.can_file_for(actor, report.project.organization_id):
        raise TransitionRefused(gettext("您无权填报此项目的监控表"))
    if report.state not in EDITABLE:
        raise TransitionRefused(gettext("监控表状态为「%(state)s」，不能修改", state=label(STATE_LABELS[report.state])))
    if lock_version is not None and int(lock_version) != report.lock_version:
        raise StaleEdit(gettext("此监控表在您打开后已被修改，您的修改未保存。请刷新页面后再修改。"))


def _store(report: MonitoringReport, data: dict) -> ProjectLights:
    # A draft follows the goal form's latest approval; a submitted report stays frozen.
    report.goal_revision = approved_goal(report.project) or report.goal_revision
    lights = lights_of(report, data)
    report.data = data
    report.alerts = alerts_for(report.project, round_of(report), lights)
    store_derived(report, lights)
    return lights


def store_derived(report: MonitoringReport, lights: ProjectLights) -> None:
    """The columns the finance table and the dashboard filter, sort and add up in SQL."""
    budget = lights.budget
    factor = money_factor(report.project.organization.jurisdiction)
    report.lights = lights.as_dict()
    report.project_light = lights.light if lights.complete else None
    report.budget_light = budget.light
    report.execution_rate, report.planned_rate, report.progress = (
        budget.execution_rate, budget.planned_rate, budget.value)
    report.alert_count = len(report.alerts or [])
    usable = bool(budget.budget) and budget.executed is not None
    report.budget_yuan = budget.budget * factor if usable else None
    report.executed_yuan = budget.executed * factor if usable else None


def save_report(report: MonitoringReport, data: dict, actor: User, lock_version=None):
    """Save what the filer typed (even with problems); return (lights, problems)."""
    _require(report, actor, lock_version)
    lights = _store(report, data)
    _audit(report, "save", actor, detail={"light": report.project_light})
    return lights, problems_of(report, data, lights)


def submit_report(report: MonitoringReport, actor: User, lock_version=None) -> ProjectLights:
    """Submit to finance; refused (with the problems) while a value or a red light's reason is missing."""
    _require(report, actor, lock_version)
    lights = _store(report, report.data)
    problems = problems_of(report, report.data, lights)
    if problems:
        raise TransitionRefused(gettext("监控表有未填或须说明的内容，不能报送，请按提示补充"), problems)
    report.state = "submitted"
    report.submitted_at = utcnow()
    report.review_comment = ""
    _audit(report, "submit", actor, detail={"light": lights.light, "budget_light": lights.budget.light,
                                            "alerts": len(report.alerts)})
    return lights


def return_report(report: MonitoringReport, actor: User, comment: str) -> None:
    """Finance sends a submitted report back for correction (a comment is required)."""
    if not access.can_supervise(actor, report.project):
        raise TransitionRefused(gettext("您无权退回此监控表"))
    if report.state != "submitted":
        raise TransitionRefused(gettext("只能退回已报送的监控表"))
    comment = (comment or "").strip()
    if not comment:
        raise TransitionRefused(gettext("退回须填写说明"))
    report.state = "returned"
    report.review_comment = comment
    _audit(report, "return", actor, comment=comment)

