"""PDF downloads: the embedded Chinese font, the paper layout's content, escaping, access,
and PNG renderings in test-artifacts/ to look at."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Project, Submission, User
from core.reports import pdf
from core.selfeval.start import start_self_evaluation
from core.workflow import service
from tests.reports.conftest import (BOYE_1, BOYE_3, BOYE_4, fonts_drawing_text, pdf_fonts, pdf_text, pdffonts,
                                    save_pngs, sign_in)

FUTIAN = "区退休职工管理"


def get_pdf(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith(b"%PDF-")
    return response.data


def assert_chinese_font_embedded(body: bytes, tmp_path) -> None:
    fonts = pdf_fonts(body)
    assert any("NotoSansSC" in name for name in fonts), fonts
    assert all(fonts.values()), f"not embedded: {[n for n, e in fonts.items() if not e]}"
    assert all("NotoSansSC" in name for name in fonts_drawing_text(body))
    listing = pdffonts(body, tmp_path)
    rows = [line for line in listing.splitlines()[2:] if line.strip()]
    assert rows and all(re.search(r"\byes\s+yes\s+yes\b", line) for line in rows), listing
    assert "NotoSansSC-Regular" in listing


def test_goal_pdf_of_boye_project_4_is_the_paper_form(client, demo, tmp_path):
    sign_in(client, "boye_filer")
    body = get_pdf(client, f"/projects/{demo[BOYE_4]}/forms/goal.pdf")
    assert_chinese_font_embedded(body, tmp_path)
    text = pdf_text(body)
    for expected in ("项目支出绩效目标表", "单位：万元", "劳务派遣人员工资及保险", "13063723P00428710007U",
                     "3.39", "资金支出计划", "3月底", "25%", "100%", "一级指标", "三级指标", "指标值确定依据",
                     "财政拨款保障率", "岗位配置率", "结果准确性", "服务对象满意度", "按月支付", "≥100%",
                     "第 1 页 共 1 页"):
        assert expected in text, expected
    pngs = save_pngs(body, "report-goal-boye-4")
    assert len(pngs) == 1


def test_goal_pdf_of_project_3_and_its_revision(client, demo, tmp_path):
    sign_in(client, "boye_leader")  # a leader views, and so may download
    project_id = demo[BOYE_3]
    body = get_pdf(client, f"/projects/{project_id}/forms/goal.pdf")
    text = pdf_text(body)
    assert "劳模体检、劳模慰问、劳模津贴、劳模慰问金" in text and "8.83" in text and "≥200" in text
    save_pngs(body, "report-goal-boye-3")
    with client.application.app_context():
        revision = db.session.scalar(select(Submission).where(
            Submission.project_id == project_id, Submission.kind == "goal")).revisions[0]
        revision_id = revision.id
    text = pdf_text(get_pdf(client, f"/projects/{project_id}/forms/goal.pdf?revision={revision_id}"))
    assert "修订 0 · submitted" in text
    assert client.get(f"/projects/{project_id}/forms/goal.pdf?revision=999999").status_code == 404


def test_user_text_is_printed_as_text_not_markup(app, client, demo, tmp_path):
    with app.app_context():
        submission = db.session.scalar(select(Submission).join(Project).where(
            Project.code == BOYE_1, Submission.kind == "goal"))
        filer = db.session.scalar(select(User).where(User.username == "boye_filer"))
        data = dict(submission.data)
        data["fields"] = {**data["fields"], "purpose": "<script>alert(1)</script> & <b>粗体</b> &amp;",
                          "performance_goals": "1. 第一条\n2. 第二条：镕堃 ⩾ 90%"}
        data["indicators"] = [{**data["indicators"][0], "name": "<img src=x onerror=alert(1)>救助人数"},
                              *data["indicators"][1:]]
        service.save_draft(submission, data, filer, None)
        db.session.commit()
    sign_in(client, "boye_filer")
    body = get_pdf(client, f"/projects/{demo[BOYE_1]}/forms/goal.pdf")
    text = pdf_text(body)
    assert "<script>alert(1)</script> & <b>粗体</b> &amp;" in text
    assert "<imgsrc=xonerror=alert(1)>救助人数" in re.sub(r"\s+", "", text)  # wrapped in its narrow cell
    # multi-line text keeps its lines; rare name characters are in the subset; ⩾ prints as ≥
    assert re.search(r"1\. 第一条\s*\n\s*2\. 第二条：镕堃 ≥ 90%", text), text
    assert_chinese_font_embedded(body, tmp_path)
    save_pngs(body, "report-goal-escaping")


def test_self_evaluation_pdf_is_the_scored_table(client, demo, tmp_path):
    sign_in(client, "futian_filer")
    response = client.get(f"/projects/{demo[FUTIAN]}/forms/self_evaluation.pdf")
    if response.status_code == 404:
        pytest.skip("the demo has no Futian self-evaluation")
    body = get_pdf(client, f"/projects/{demo[FUTIAN]}/forms/self_evaluation.pdf")
    assert_chinese_font_embedded(body, tmp_path)
    text = pdf_text(body)
    for expected in ("一级指标", "分值", "二级指标", "三级指标", "指标解释", "建议得分", "最终得分", "得分",
                     "决策", "立项依据充分性", "实际完成率", "11.88", "11.00", "服务对象满意度", "14.31", "13.00",
                     "基础总分", "自评总分", "95.00", "评价等级", "优", "第 1 页 共"):
        assert expected in text, expected
    save_pngs(body, "report-self-evaluation-futian")


def test_self_evaluation_pdf_is_404_before_it_exists(client, demo):
    sign_in(client, "boye_filer")
    assert client.get(f"/projects/{demo[BOYE_4]}/forms/self_evaluation.pdf").status_code == 404
    assert client.get(f"/projects/{demo[BOYE_4]}/forms/monitoring.pdf").status_code == 404
    assert client.get(f"/projects/{demo[BOYE_4]}/forms/nonsense.pdf").status_code == 404


def test_evaluation_report_follows_the_futian_report(client, demo, tmp_path):
    sign_in(client, "futian_reviewer")
    body = get_pdf(client, f"/projects/{demo[FUTIAN]}/reports/evaluation.pdf")
    assert_chinese_font_embedded(body, tmp_path)
    text = pdf_text(body)
    for expected in ("项目支出绩效评价报告", "一、基本情况", "项目资金预算明细表", "年初预算", "年中增减", "全年预算",
                     "预算执行", "执行率", "项目绩效目标及完成情况表", "慰问退休职工人数", "< 2208 人", "年度指标值",
                     "实际完成值", "综合评价情况及评价结论", "建议得分", "最终得分", "满意度调查", "存在的问题及原因分析",
                     "有关建议", "第 1 页 共"):
        assert expected in text, expected
    if "自评表未填报" not in text:  # the demo carries the Futian self-evaluation: its real numbers
        for expected in ("260.00", "-1.10", "258.90", "100%", "95.00", "优", "有效问卷 19 份", "95.39%"):
            assert expected in text, expected
    save_pngs(body, "report-evaluation-futian")


def test_evaluation_report_says_what_is_missing(client, demo, tmp_path):
    sign_in(client, "boye_filer")
    body = get_pdf(client, f"/projects/{demo[BOYE_1]}/reports/evaluation.pdf")
    text = pdf_text(body)
    assert "未填报" in text and "自评表未填报" in text
    assert "救助准确率" in text and "≥90%" in text  # the goal rows are there all the same
    assert "10.09" in text
    save_pngs(body, "report-evaluation-boye-draft")


def test_evaluation_report_prints_actuals_from_a_default_self_evaluation(app, client, demo, tmp_path):
    """Boye uses the national default self-evaluation: one scored leaf per goal row."""
    with app.app_context():
        project = db.session.get(Project, demo[BOYE_3])
        goal = project.submission("goal")
        reviewer = db.session.scalar(select(User).where(User.username == "boye_reviewer"))
        filer = db.session.scalar(select(User).where(User.username == "boye_filer"))
        service.apply_transition(goal, "approve", reviewer, comment="同意")
        evaluation = start_self_evaluation(project, filer)
        leaf = next(node_id for node_id, entry in evaluation.data["scores"].items() if entry.get("target") == "≥98%")
        data = dict(evaluation.data)
        data["scores"] = {**data["scores"], leaf: {**data["scores"][leaf], "actual": "99.5%"}}
        # 年度资金总额 is computed from the rows (上年结转资金 and 其他资金 left empty: 0)
        data["fields"] = {**data.get("fields", {}), "fiscal_initial": "8.83", "fiscal_full_year": "8.83",
                          "fiscal_executed": "8.50", "deviations": "体检人数少于计划：两名劳模因病未参加。"}
        service.save_draft(evaluation, data, filer, None)
        db.session.commit()
    sign_in(client, "boye_filer")
    body = get_pdf(client, f"/projects/{demo[BOYE_3]}/reports/evaluation.pdf")
    text = pdf_text(body)
    assert "99.5%" in text
    assert "8.83" in text and "8.50" in text and "96.26%" in text  # 8.50 ÷ 8.83
    assert "两名劳模因病未参加" in text
    save_pngs(body, "report-evaluation-boye-default")
    body = get_pdf(client, f"/projects/{demo[BOYE_3]}/forms/self_evaluation.pdf")
    assert "99.5%" in pdf_text(body)
    save_pngs(body, "report-self-evaluation-boye-default")


def test_downloads_are_scoped_like_the_form(client, demo):
    project_id = demo[BOYE_4]
    urls = [f"/projects/{project_id}/forms/goal.pdf", f"/projects/{project_id}/forms/goal.xlsx",
            f"/projects/{project_id}/reports/evaluation.pdf", f"/projects/{project_id}/forms/self_evaluation.pdf"]
    for url in urls:  # not signed in: to the login page
        assert client.get(url).status_code == 302
    sign_in(client, "boye_filer2")  # same jurisdiction, another organization
    for url in urls:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("username", ["futian_filer", "futian_reviewer", "sjz_filer"])
def test_other_jurisdictions_get_404(app, demo, username):
    client = app.test_client()
    sign_in(client, username)
    for url in (f"/projects/{demo[BOYE_4]}/forms/goal.pdf", f"/projects/{demo[BOYE_4]}/forms/goal.xlsx",
                f"/projects/{demo[BOYE_4]}/reports/evaluation.pdf"):
        assert client.get(url).status_code == 404, url


def test_a_pdf_without_its_chinese_font_is_refused(app, monkeypatch, tmp_path):
    """xhtml2pdf falls back to Helvetica with err=0 when it may not read the font: we raise."""
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    monkeypatch.setattr(pdf, "_policy", lambda: ResourceAccessPolicy.server(base_dir=tmp_path, allow_remote=False))
    html = (f'<html><head><style>@font-face {{ font-family: NotoSansSC; src: url("{pdf.font_urls()["regular"]}"); }}'
            'body { font-family: NotoSansSC; }</style></head><body>中文</body></html>')
    with pytest.raises(pdf.PdfError):
        pdf.html_to_pdf(html)


def test_html_to_pdf_embeds_only_our_font():
    html = (f'<html><head><style>@font-face {{ font-family: NotoSansSC; src: url("{pdf.font_urls()["regular"]}"); }}'
            'body { font-family: NotoSansSC; }</style></head><body><table><tr><td></td><td>中文 ≥ 90%</td></tr>'
            '</table></body></html>')
    body = pdf.html_to_pdf(html)
    fonts = pdf_fonts(body)
    assert fonts and all(fonts.values()) and all("NotoSansSC" in f for f in fonts), fonts
