"""A jurisdiction that is in no seed and no plugin — 新河县总工会 (``xinhe``) — created
entirely through the admin's HTTP interface: settings, its own goal form and
self-evaluation built in the structured editor (with custom scoring rules and its
own grade bands), its organization and users. Then a department fills both forms
like any other, and the scores are checked against a hand computation.

No model is written directly after the bootstrap admin: every change is a POST.
"""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEvent, FormDefinition, Jurisdiction, Project, Submission
from core.selfeval.scoring import score_submission
from tests.admin.helpers import Editor, form_values, relogin, set_values, text
from tests.conftest import csrf_token, login

ADMIN = "/admin/jurisdictions/xinhe"
STRONG = "xinhe-2026-pass"


def create_xinhe(client):
    """新河县总工会: spending plan 6/9/11月底 (books close in November), bands ≥85 优 ≥75 良 ≥60 中."""
    page = client.get("/admin/jurisdictions/new").get_data(as_text=True)
    values = set_values(form_values(page, "jurisdiction-form"),
                        code="xinhe", name_zh="新河县总工会", name_en="Xinhe County Federation of Trade Unions",
                        parent="", money_unit="万元", months="6,9,11", complete_by="11",
                        band0_min="85", band0_zh="优", band0_en="Excellent",
                        band1_min="75", band1_zh="良", band1_en="Good",
                        band2_min="60", band2_zh="中", band2_en="Fair",
                        band3_min="0", band3_zh="差", band3_en="Poor",
                        q_missing_basis="error", q_qualitative_effect="off")
    response = client.post("/admin/jurisdictions/new", data=values)
    assert response.status_code == 302, text(response)[:3000]
    assert response.headers["Location"].endswith(ADMIN)


def build_goal_form(client):
    goal = Editor(client, "xinhe", "goal")
    # A field the blank template lacks: 联系人, required, in the first section.
    goal.post("add_field:0")
    goal.post("save", s0f2_id="contact", s0f2_type="text", s0f2_label_zh="联系人", s0f2_label_en="Contact",
              s0f2_required="1")
    # A typo is saved in the draft but named by its place, and blocks publishing.
    response = goal.post("save", expect=302, s1f0_min="abc")
    page = client.get(goal.url).get_data(as_text=True)
    assert "sections[1].fields[0].min" in page and "必须是数字，收到「abc」" in text(client.get(goal.url))
    refused = client.post(f"{goal.url}/publish", data={"csrf_token": csrf_token(client, goal.url)})
    assert refused.status_code == 302
    assert "不能发布" in text(client.get(goal.url))
    goal.post("save", s1f0_min="0")
    # The effect category is optional for Xinhe's projects.
    assert goal.values()["c1_min_rows"] == ""
    response = client.post(f"{goal.url}/publish", data={"csrf_token": csrf_token(client, goal.url)})
    assert response.status_code == 302 and response.headers["Location"].endswith(ADMIN)


def build_self_evaluation(client):
    """Xinhe's self-evaluation (100 + deductions):

    产出指标 40        from the goal form's output rows (the indicator rule, weight split equally)
    预算执行 20        预算执行率 20: expression  executed / budget_full_year * 20
    管理 40            材料报送 10: per_occurrence, −2 per late or missing report
                       制度建设 30: checklist of three rules the union must have
    减分项 (cap 5)     支出进度 5: threshold_deduction on the field progress:
                       ≥95 → 0; 80–95 → 0.3 per point below 95; <80 → 5
    """
    se = Editor(client, "xinhe", "self_evaluation")
    # The field the deduction reads: 全年支出进度 (%).
    se.post("add_field:1")
    se.post("save", s1f2_id="progress", s1f2_type="percent", s1f2_label_zh="全年支出进度", s1f2_required="1",
            s1f2_min="0", s1f2_max="100")
    # Weights, and the budget-execution leaf's rule changed from ratio to an expression:
    # the first save shows the new rule's parameters, the second fills them in.
    se.post("save", n0_weight="40", n1_weight="20", n1_0_weight="20", n1_0_rule="expression")
    assert "n1_0_param_expression" in se.values()
    se.post("save", n1_0_param_expression="executed / budget_full_year * 20",
            n1_0_standard_zh="得分 = 全年执行数 ÷ 全年预算数 × 20")
    # 管理 40: a new level-1 group with two leaves.
    se.post("add_node:n")
    se.post("save", n2_id="management", n2_label_zh="管理", n2_label_en="Management", n2_weight="40", n2_kind="group")
    se.post("add_node:n2")
    se.post("add_node:n2")
    se.post("save", n2_0_id="materials", n2_0_label_zh="材料报送", n2_0_weight="10", n2_0_rule="per_occurrence",
            n2_1_id="system", n2_1_label_zh="制度建设", n2_1_weight="30", n2_1_rule="checklist")
    se.post("save", n2_0_param_per="2",
            n2_1_param_items="internal_control | 建立内部控制制度\nfinance | 建立财务管理办法\narchives | 建立档案管理制度")
    # 减分项: a deduction group with one threshold rule.
    se.post("add_node:d")
    se.post("save", d0_id="progress_deduction", d0_label_zh="支出进度", d0_weight="5", d0_rule="threshold_deduction",
            d_label_zh="减分项", d_cap="5")
    se.post("save", d0_param_value="progress", d0_param_bands="95 | 0\n80 | 0.3 | 95\n0 | 5")
    # 检查: no problem left.
    response = se.post("check", expect=200)
    assert "检查完毕：没有问题" in text(response)
    response = client.post(f"{se.url}/publish", data={"csrf_token": csrf_token(client, se.url)})
    assert response.status_code == 302 and response.headers["Location"].endswith(ADMIN), text(client.get(se.url))[:3000]


def people_of_xinhe(client) -> tuple[int, int]:
    url = f"{ADMIN}/people"
    response = client.post(f"{ADMIN}/organizations", data={"csrf_token": csrf_token(client, url),
                                                          "name": "新河县总工会本级", "org_code": "720001"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    org_scope = re.search(r'<option value="(o\d+)"[^>]*>新河县总工会本级</option>', page).group(1)
    xinhe_scope = re.search(r'<option value="(j\d+)"[^>]*>新河县总工会</option>', page).group(1)
    for password, message in (("2026031512", "密码不能全是数字"), ("short-pw", "密码至少 10 个字符")):
        refused = client.post(f"{ADMIN}/users", data={
            "csrf_token": csrf_token(client, url), "username": "weak", "display_name": "弱密码",
            "password": password, "role": "filer", "scope": org_scope})
        assert refused.status_code == 422 and message in text(refused)
    for username, name, role, scope in (("xinhe_filer", "李填报", "filer", org_scope),
                                        ("xinhe_reviewer", "王审核", "reviewer", xinhe_scope)):
        response = client.post(f"{ADMIN}/users", data={
            "csrf_token": csrf_token(client, url), "username": username, "display_name": name,
            "password": STRONG, "role": role, "scope": scope})
        assert response.status_code == 302, text(response)[:2000]
    return int(org_scope[1:]), int(xinhe_scope[1:])


GOAL_ROWS = [  # (level1, level2, name, description, target, basis)
    ("output", "quantity", "培训人数", "全年培训职工人数", "≥100 人", "年度工作计划"),
    ("output", "quality", "培训合格率", "结业考核合格人数占比", "≥95%", "培训管理办法"),
    ("effect", "social", "职工技能提升", "参训职工取得职业技能等级证书", "≥60 人", "年度工作计划"),
    ("satisfaction", "beneficiary", "参训职工满意度", "问卷调查满意度", "≥90%", "满意度调查"),
]


def fill_goal(client, org_id: int) -> int:
    token = csrf_token(client, "/projects/new")
    response = client.post("/projects/new", data={"csrf_token": token, "organization_id": org_id,
                                                 "name": "职工技能培训", "year": "2024", "budget": "10",
                                                 "serves_public": "y"})
    assert response.status_code == 302, text(response)[:2000]
    project_id = int(re.search(r"/projects/(\d+)", response.headers["Location"]).group(1))
    url = f"/projects/{project_id}/forms/goal"
    page = client.get(url).get_data(as_text=True)
    assert "联系人" in page and "6月底" in page and "11月底" in page and "3月底" not in page
    for level1, level2, *_ in GOAL_ROWS:
        values = set_values(form_values(client.get(url).get_data(as_text=True), ".paper-form"),
                            action=f"add:{level1}:{level2}")
        assert client.post(url, data=values).status_code == 302
    values = set_values(form_values(client.get(url).get_data(as_text=True), ".paper-form"),
                        f_contact="李填报", f_purpose="开展职工职业技能培训", m_m06="40", m_m09="70", m_m11="100")
    index = 0
    pending = list(GOAL_ROWS)
    while f"rows-{index}-level1" in values:
        spec = next(s for s in pending if (s[0], s[1]) == (values[f"rows-{index}-level1"], values[f"rows-{index}-level2"]))
        pending.remove(spec)
        for column, value in zip(("name", "description", "target", "basis"), spec[2:]):
            values[f"rows-{index}-{column}"] = value
        index += 1
    assert not pending
    values["action"] = "submit"
    response = client.post(url, data=values)
    assert response.status_code == 302, text(response)[:4000]
    return project_id


def test_a_county_configured_in_the_browser_files_and_scores(app, client, people):
    people.user("root_admin", "admin", jurisdiction="shijiazhuang")
    login(client, "root_admin")
    with app.app_context():
        definitions_before = db.session.scalar(select(func.count()).select_from(FormDefinition))

    create_xinhe(client)
    build_goal_form(client)
    build_self_evaluation(client)
    org_id, _xinhe_id = people_of_xinhe(client)

    with app.app_context():
        xinhe = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "xinhe"))
        assert not xinhe.builtin and xinhe.settings["grade_bands"][0] == {"min": 85, "label": {"zh": "优", "en": "Excellent"}}
        assert xinhe.settings["quality_rules"]["missing_basis"] == "error"
        rows = db.session.scalars(select(FormDefinition).where(FormDefinition.jurisdiction_id == xinhe.id)
                                  .order_by(FormDefinition.kind)).all()
        assert [(r.kind, r.version, r.is_published) for r in rows] == [("goal", 1, True), ("self_evaluation", 1, True)]
        assert db.session.scalar(select(func.count()).select_from(FormDefinition)) == definitions_before + 2
        actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.jurisdiction_id == xinhe.id)))
        assert {"jurisdiction.create", "membership.create", "definition.draft", "definition.publish",
                "organization.create", "user.create"} <= actions

    # --- the department fills its goal form; the reviewer created above approves it ---
    relogin(client, "xinhe_filer", STRONG)
    project_id = fill_goal(client, org_id)
    relogin(client, "xinhe_reviewer", STRONG)
    with app.app_context():
        goal = db.session.scalar(select(Submission).where(Submission.project_id == project_id, Submission.kind == "goal"))
        assert goal.state == "submitted" and goal.definition.version == 1
        goal_id, lock = goal.id, goal.lock_version
    assert "职工技能培训" in client.get("/review/").get_data(as_text=True)
    response = client.post(f"/review/{goal_id}", data={"csrf_token": csrf_token(client, f"/review/{goal_id}"),
                                                      "decision": "approve", "comment": "同意", "lock_version": lock})
    assert response.status_code == 302

    # --- the self-evaluation ---
    relogin(client, "xinhe_filer", STRONG)
    url = f"/projects/{project_id}/forms/self_evaluation"
    page = client.get(url).get_data(as_text=True)
    assert "材料报送" in page and "建立档案管理制度" in page and "支出进度" in page
    with app.app_context():
        sub = db.session.scalar(select(Submission).where(Submission.project_id == project_id,
                                                         Submission.kind == "self_evaluation"))
        output = next(n for n in sub.data["scoring"]["nodes"] if n["id"] == "output")
        leaf = {child["label"]["zh"]: child["id"] for child in output["children"]}
    assert sorted(leaf) == ["培训人数", "培训合格率"]  # one scored leaf per output row of the goal
    values = set_values(form_values(page, "selfeval-form"),
                        f_budget_full_year="10", f_executed="9.5", f_progress="93",
                        **{f"s:{leaf['培训人数']}:actual": "95 人", f"s:{leaf['培训合格率']}:actual": "96%",
                           "s:materials:count": "1", "s:system:checked": ["internal_control", "finance"]})
    # By hand (万元, %):
    #   培训人数      weight 40 / 2 rows = 20; target ≥100 人, actual 95 人 → 20 × 95 ÷ 100   = 19
    #   培训合格率    20; target ≥95%, actual 96% → met                        = 20
    #   预算执行率    executed / budget_full_year × 20 = 9.5 ÷ 10 × 20           = 19
    #   材料报送      10 − 2 × 1 late report                                     = 8
    #   制度建设      30 × 2 of 3 rules ÷ 3                                      = 20
    #   base = 19 + 20 + 19 + 8 + 20                                             = 86
    #   支出进度      93% is in the 80–95 band: 0.3 × (95 − 93)                  = 0.6 deducted
    #   total = 86 − 0.6 = 85.4 → Xinhe's own bands: ≥85 优 (the default 90/80 would say 良)
    live = client.post(f"{url}/score", data=values).get_json()
    by_id = {item["id"]: item for item in live["leaves"]}
    assert by_id[leaf["培训人数"]]["score"] == "19.00"
    assert by_id[leaf["培训合格率"]]["score"] == "20.00"
    assert by_id["execution_rate"]["score"] == "19.00"
    assert by_id["materials"]["score"] == "8.00"
    assert by_id["system"]["score"] == "20.00"
    assert by_id["progress_deduction"]["score"] == "0.60"
    assert (live["base"], live["deductions"], live["total"]) == ("86.00", "0.60", "85.40")
    assert live["grade"] == {"zh": "优", "en": "Excellent"} and live["ok"], live["problems"]
    values["action"] = "submit"
    response = client.post(url, data=values)
    assert response.status_code == 302, text(response)[:4000]
    with app.app_context():
        sub = db.session.get(Submission, sub.id)
        assert sub.state == "submitted" and sub.definition.version == 1
        result = score_submission(sub)
        assert (result.total, result.grade["zh"]) == (Decimal("85.4"), "优")

    # --- the admin publishes new versions; what was filed stays on its version ---
    relogin(client, "root_admin")
    goal_editor = Editor(client, "xinhe", "goal")
    goal_editor.post("save", s1f0_label_zh="预算总额")
    assert client.post(f"{goal_editor.url}/publish", data={"csrf_token": csrf_token(client, goal_editor.url)}).status_code == 302
    diff_page = text(client.get(f"{goal_editor.url}/diff?a=1&b=2"))
    assert "sections[1].fields[0].label.zh: 「预算数」 → 「预算总额」" in diff_page
    se_editor = Editor(client, "xinhe", "self_evaluation")
    se_editor.post("save", n2_0_param_per="5")   # a harsher rule for next year's evaluations
    assert client.post(f"{se_editor.url}/publish", data={"csrf_token": csrf_token(client, se_editor.url)}).status_code == 302
    with app.app_context():
        goal = db.session.get(Submission, goal_id)
        sub = db.session.get(Submission, sub.id)
        assert goal.definition.version == 1 and sub.definition.version == 1
        assert score_submission(sub).total == Decimal("85.4")   # still −2 per report, as filed
    relogin(client, "xinhe_filer", STRONG)
    filed_goal = text(client.get(f"/projects/{project_id}/forms/goal"))
    assert "预算数" in filed_goal and "预算总额" not in filed_goal
    filed = text(client.get(url))
    assert "85.40" in filed and "优" in filed
    # A new project is filed on the new versions.
    token = csrf_token(client, "/projects/new")
    response = client.post("/projects/new", data={"csrf_token": token, "organization_id": org_id,
                                                 "name": "困难职工帮扶", "year": "2024", "budget": "5"})
    new_id = int(re.search(r"/projects/(\d+)", response.headers["Location"]).group(1))
    assert "预算总额" in text(client.get(f"/projects/{new_id}/forms/goal"))
    with app.app_context():
        assert db.session.get(Project, new_id).submission("goal").definition.version == 2
