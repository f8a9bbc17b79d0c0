"""Demo data for monitoring and the assessment of county unions (idempotent).

- Futian's approved 区退休职工管理 2022 reported at the end-of-June round (no spending
  plan: held to time elapsed) — 120.00 of 258.90 万元, one festival visit of three.
- Shijiazhuang's county unions 正定, 栾城, 藁城 (child jurisdictions) scored with 附件三
  for 2023: two assessed, one waiting for the city; each has a finance user
  (``zhengding_finance`` …, password as the other demo users).
"""
from __future__ import annotations

from sqlalchemy import select

from core.assessment import service as assessments
from core.extensions import db
from core.models import Assessment, Jurisdiction, Membership, MonitoringReport, Project, Role, User
from core.monitoring import service as monitoring
from core.workflow.transitions import TransitionRefused

COUNTIES = (("zhengding", "正定县总工会", "Zhengding County Federation of Trade Unions"),
            ("luancheng", "栾城区总工会", "Luancheng District Federation of Trade Unions"),
            ("gaocheng", "藁城区总工会", "Gaocheng District Federation of Trade Unions"))

_DONE = {"org_guarantee": {"checked": ["group_and_person"]}, "rules_issued": {"count": "4"},
         "publicity_training": {"checked": ["publicity", "training"]}, "materials": {"count": "0"},
         "ex_ante_scope": {"not_done": "0", "required": "4"}, "goal_scope": {"met": "是"},
         "goal_expert_review": {"met": "是"}, "goal_quality_problems": {"count": "0"},
         "monitor_scope": {"count": "0"}, "monitor_feedback": {"count": "0"}, "monitor_self_unfixed": {"count": "0"},
         "monitor_missed": {"count": "0"}, "monitor_findings_unfixed": {"count": "0"}, "eval_scope": {"met": "是"},
         "eval_quality": {"count": "0"}, "eval_feedback": {"met": "是"}, "eval_use": {"met": "是"},
         "goals_reported": {"met": "是"}, "goals_published": {"count": "0"}, "results_published": {"count": "0"}}
SCORES = {
    "zhengding": {**_DONE, "rules_issued": {"count": "3"}, "spending_progress": {"progress": "87.5"},
                  "bonus_items": {"counts": {"endorsement": "1", "media": "2"}}},
    "luancheng": {**_DONE, "materials": {"count": "9"}, "spending_progress": {"progress": "79"}},
    "gaocheng": {**_DONE, "goal_quality_problems": {"count": "3"}, "spending_progress": {"progress": "96"}},
}


def _futian_june(users) -> list[str]:
    project = db.session.scalar(select(Project).where(Project.name == "区退休职工管理"))
    if project is None or monitoring.approved_goal(project) is None:
        return []
    if db.session.scalar(select(MonitoringReport).where(MonitoringReport.project_id == project.id)):
        return []
    filer = users["futian_filer"]
    rows = {r["name"]: r["id"] for r in monitoring.approved_goal(project).data["indicators"]}
    values = {"慰问退休职工人数": {"actual": "2185 人"}, "节日慰问次数": {"actual": "1 次"},
              "节日慰问金金额发放到位率": {"actual": "100%"}, "慰问金发放及时性": {"tier": "achieved"},
              "发放慰问金总成本": {"actual": "120 万"}, "落实国家规定的退休人员应有的薪酬福利待遇": {"tier": "achieved"},
              "区退休职工对工会工作的满意度": {"actual": "95.39%"}, "区退休职工的投诉次数": {"actual": "0 次"}}
    report = monitoring.start_report(project, project.year, "m06", filer)
    monitoring.save_report(report, {
        "fields": {"annual_budget": "258.90", "executed": "120.00",
                   "implementation": "春节慰问已完成，端午、中秋慰问按计划实施"},
        "indicators": {rows[k]: v for k, v in values.items() if k in rows}}, filer)
    try:
        monitoring.submit_report(report, filer)
    except TransitionRefused as refused:
        return [f"futian: June monitoring report left as a draft — {refused.message}"]
    return [f"futian: June monitoring report submitted, project light {report.project_light}"]


def _county_user(code: str, jurisdiction: Jurisdiction, password: str) -> User:
    username = f"{code}_finance"
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, display_name=f"{jurisdiction.name_zh} 财务")
        user.set_password(password)
        user.memberships.append(Membership(role=Role.REVIEWER.value, jurisdiction=jurisdiction))
        db.session.add(user)
        db.session.flush()
    return user


def _counties(users, password: str) -> list[str]:
    city = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "shijiazhuang"))
    assessor = users["sjz_reviewer"]
    lines = []
    for index, (code, zh, en) in enumerate(COUNTIES):
        county = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
        if county is None:
            county = Jurisdiction(code=code, name_zh=zh, name_en=en, parent=city, settings={})
            db.session.add(county)
            db.session.flush()
        county_user = _county_user(code, county, password)
        if db.session.scalar(select(Assessment).where(Assessment.jurisdiction_id == county.id)):
            continue
        found = assessments.open_assessment(city, county, 2023, assessor)
        assessments.save_self(found, SCORES[code], {"rules_issued": "制度文件汇编（2023）",
                                                    "spending_progress": "2023年度决算报表"}, county_user)
        assessments.submit_self(found, county_user)
        if index < 2:
            assessments.finalise(found, assessor)
        lines.append(f"shijiazhuang: {zh} 2023 work assessment — {found.state}, "
                     f"self {found.self_total:.2f}" + (f", assessed {found.assessed_total:.2f}"
                                                       if found.assessed_total is not None else ""))
    return lines


def seed_monitoring_demo(users, password: str) -> list[str]:
    return _futian_june(users) + _counties(users, password)
