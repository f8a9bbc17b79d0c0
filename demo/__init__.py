"""Demo data: the seed jurisdictions' organizations, one user per role, and the
real projects of the seeds, filled and moved through the workflow with the same
service functions the web app uses.

Passwords are for a local demo only and are printed by ``seed-demo``.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from core.extensions import db
from core.models import Jurisdiction, Membership, Organization, Project, Role, User
from core.workflow import service
from core.workflow.transitions import TransitionRefused

HERE = Path(__file__).resolve().parent
DEMO_PASSWORD = "demo-2026"

# (username, display name, role, jurisdiction code, organization name or None)
DEMO_USERS = (
    ("admin", "系统管理员", Role.ADMIN, "*", None),
    ("boye_filer", "博野县总工会本级 填报人", Role.FILER, "boye", "711001 博野县总工会本级"),
    ("boye_filer2", "博野县总工会 女职工部 填报人", Role.FILER, "boye", "博野县总工会女职工部"),
    ("boye_reviewer", "博野县总工会 财务部 审核人", Role.REVIEWER, "boye", None),
    ("boye_leader", "博野县总工会 分管领导", Role.LEADER, "boye", None),
    ("futian_filer", "福田区总工会 填报人", Role.FILER, "futian", "福田区总工会"),
    ("futian_reviewer", "福田区总工会 财务 审核人", Role.REVIEWER, "futian", None),
    ("sjz_filer", "石家庄市总工会 业务部门 填报人", Role.FILER, "shijiazhuang", "石家庄市总工会职工服务部"),
    ("sjz_reviewer", "石家庄市总工会 财务部 审核人", Role.REVIEWER, "shijiazhuang", None),
    ("changzhi_filer", "长治市 预算单位 填报人", Role.FILER, "changzhi", "长治市某预算单位"),
    ("changzhi_reviewer", "长治市财政局 审核人", Role.REVIEWER, "changzhi", None),
    ("chongqing_filer", "重庆市妇联 填报人", Role.FILER, "chongqing", "重庆市妇联家庭和儿童工作部"),
    ("chongqing_reviewer", "重庆市妇联 财务 审核人", Role.REVIEWER, "chongqing", None),
)


def _organization(jurisdiction: Jurisdiction, name: str) -> Organization:
    org = db.session.scalar(select(Organization).where(
        Organization.jurisdiction_id == jurisdiction.id, Organization.name == name))
    if org is None:
        org = Organization(jurisdiction=jurisdiction, name=name,
                           code=name.split(" ")[0] if name[:1].isdigit() else "")
        db.session.add(org)
        db.session.flush()
    return org


def _user(username, display, role, code, org_name, jurisdictions) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None:
        return user
    user = User(username=username, display_name=display)
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    targets = [j for j in jurisdictions.values() if j.parent_id is None] if code == "*" else [jurisdictions[code]]
    for jurisdiction in targets:
        if org_name:
            user.memberships.append(Membership(role=role.value, organization=_organization(jurisdiction, org_name)))
        else:
            user.memberships.append(Membership(role=role.value, jurisdiction=jurisdiction))
    db.session.flush()
    return user


def _load_projects(filename: str, jurisdictions, users, submit: bool, approve_by: str | None = None) -> list[str]:
    doc = json.loads((HERE / filename).read_text(encoding="utf-8"))
    jurisdiction = jurisdictions[doc["jurisdiction"]]
    org = _organization(jurisdiction, doc["organization"])
    filer = next(u for u in users.values() if any(m.organization_id == org.id for m in u.memberships))
    lines = []
    for spec in doc["projects"]:
        if db.session.scalar(select(Project).where(Project.organization_id == org.id, Project.name == spec["name"])):
            continue
        project = Project(organization=org, code=spec["code"], name=spec["name"], year=doc["year"],
                          budget=Decimal(spec["budget"]), serves_public=True)
        db.session.add(project)
        db.session.flush()
        submission = service.start_submission(project, "goal", filer)
        data = service.initial_data(project, submission.definition)
        data["fields"].update(spec["fields"])
        data["milestones"] = spec.get("milestones", {})
        data["indicators"] = spec["rows"]
        result = service.save_draft(submission, data, filer, None)
        state = "draft"
        if submit:
            try:
                service.apply_transition(submission, "submit", filer)
                state = "submitted"
                if approve_by:
                    service.apply_transition(submission, "approve", users[approve_by], comment="同意")
                    state = "approved"
            except TransitionRefused as refused:
                state = "draft — " + "; ".join(str(p) for p in refused.problems)
        lines.append(f"{doc['jurisdiction']}: {spec['name'][:24]} — {state}, "
                     f"{len(result.findings)} quality finding(s)")
    return lines


def _actuals_by_row(submission, filename: str) -> dict[str, str]:
    from core.selfeval.start import goal_revision

    doc = json.loads((HERE / filename).read_text(encoding="utf-8"))
    by_name = next(p for p in doc["projects"] if p["name"] == submission.project.name).get("actuals", {})
    goal = goal_revision(submission)
    return {row["id"]: by_name[row["name"]] for row in goal.data["indicators"] if row["name"] in by_name}


def _futian_self_evaluation(users) -> list[str]:
    """Futian's 2022 self-evaluation with the scores the report published (total 95.0)."""
    from core.selfeval.scoring import score_submission
    from core.selfeval.start import start_self_evaluation

    project = db.session.scalar(select(Project).where(Project.name == "区退休职工管理", Project.year == 2022))
    if project is None or project.submission("self_evaluation") is not None:
        return []
    filer = users["futian_filer"]
    submission = start_self_evaluation(project, filer)
    example = json.loads((HERE.parent / "docs/examples/futian_2022_scores.json").read_text(encoding="utf-8"))
    data = {**submission.data, "fields": {**submission.data["fields"], **example["fields"],
                                          "competent_department": "深圳市福田区总工会",
                                          "problems": "绩效目标设置不够细化量化；满意度调查未针对本项目，有效问卷仅 19 份。",
                                          "recommendations": "细化量化绩效目标；开展针对本项目的满意度调查。"},
            "scores": {**submission.data["scores"], **example["scores"]},
            # 表1-2's 实际完成值, by indicator name.
            "actuals": _actuals_by_row(submission, "futian_2022.json")}
    service.save_draft(submission, data, filer, None)
    service.apply_transition(submission, "submit", filer)
    result = score_submission(submission)
    return [f"futian: 区退休职工管理 self-evaluation — submitted, total {result.as_dict()['total']} "
            f"{result.grade['zh']}"]


def seed_demo() -> list[str]:
    """Create the demo organizations, users and projects (idempotent)."""
    jurisdictions = {j.code: j for j in db.session.scalars(select(Jurisdiction))}
    missing = {"boye", "futian", "shijiazhuang", "changzhi", "chongqing"} - jurisdictions.keys()
    if missing:
        raise RuntimeError(f"packs not stored yet: {sorted(missing)} — run `flask --app wsgi init-db` first")
    users = {u[0]: _user(*u, jurisdictions=jurisdictions) for u in DEMO_USERS}
    lines = _load_projects("boye_2023.json", jurisdictions, users, submit=True)
    lines += _load_projects("futian_2022.json", jurisdictions, users, submit=True, approve_by="futian_reviewer")
    lines += _futian_self_evaluation(users)
    from demo.monitoring import seed_monitoring_demo  # 双监控 and the county unions' assessment

    lines += seed_monitoring_demo(users, DEMO_PASSWORD)
    db.session.commit()
    return lines
