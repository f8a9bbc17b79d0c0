"""The owner's pages: access, lifecycle, QR code, poster, invitations, results, exclusions, exports."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import openpyxl
import pytest
import segno
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEvent
from survey import satisfaction_result, survey_for_indicator
from survey.models import Survey, SurveyInvitation, SurveyResponse
from survey.service import public_url, store_response
from tests.survey.conftest import log_in, staff_token

NOW = datetime(2022, 9, 20, 9, 0, tzinfo=timezone.utc)
#        timely amount convenient informed staff | overall   respondent score (weights 1×5, 2)
ROWS = [("5", "4", "5", "3", "4", "4"),   # (100+80+100+60+80 + 2·80) / 7 = 580/7 = 82.857
        ("4", "4", "3", "3", "5", "3"),   # (80+80+60+60+100 + 2·60) / 7 = 500/7 = 71.429
        ("5", "5", "5", "4", "5", "5")]   # (100+100+100+80+100 + 2·100) / 7 = 680/7 = 97.143
STRAIGHT = ("1", "1", "1", "1", "1", "1")  # all 不满意: flagged straight_lining


def fields(row, suggestion=""):
    payment = dict(zip(("timely", "amount", "convenient", "informed", "staff"), row[:5]))
    out = {"received": "3", "payment": payment, "overall": row[5]}
    if suggestion:
        out["suggestion"] = suggestion
    return out


def fill(survey, rows=ROWS, **kw):
    for n, row in enumerate(rows):
        store_response(survey, fields(row, **kw), started_at=NOW, device=f"d{n}-{row}", now=NOW + timedelta(minutes=3))
    db.session.commit()


def base(futian, survey=None):
    root = f"/projects/{futian.project.id}/surveys"
    return f"{root}/{survey.id}" if survey else root


# --- access ------------------------------------------------------------------------------------------------------

PAGES = ("", "/results", "/poster", "/qr.svg", "/qr.png", "/export.csv", "/export.xlsx")


@pytest.mark.parametrize("who", ["futian_b", "boye_rev"])
def test_people_outside_the_project_get_404(app, client, futian, who):
    survey = futian.survey()
    log_in(client, who)
    assert client.get(base(futian)).status_code == 404
    for page in PAGES:
        assert client.get(base(futian, survey) + page).status_code == 404, page
    token = staff_token(client, "/")
    for action in ("/publish", "/close", "/settings", "/invitations"):
        assert client.post(base(futian, survey) + action, data={"csrf_token": token}).status_code == 404
    assert client.post(base(futian), data={"csrf_token": token, "template": "futian/retirees"}).status_code == 404


@pytest.mark.parametrize("who", ["futian_rev", "futian_lead"])
def test_reviewer_and_leader_view_results_but_do_not_manage(app, client, futian, who):
    survey = futian.survey()
    log_in(client, who)
    for page in PAGES:
        assert client.get(base(futian, survey) + page).status_code == 200, page
    html = client.get(base(futian, survey)).get_data(as_text=True)
    assert f'{base(futian, survey)}/close"' not in html and 'name="title"' not in html
    token = staff_token(client, base(futian, survey))
    assert client.post(base(futian, survey) + "/close", data={"csrf_token": token}).status_code == 403
    assert client.post(base(futian), data={"csrf_token": token, "template": "futian/retirees"}).status_code == 403
    assert db.session.get(Survey, survey.id).status == "open"


# --- lifecycle -----------------------------------------------------------------------------------------------------

def test_filer_creates_links_publishes_and_closes(app, client, futian):
    log_in(client, "futian_a")
    index = client.get(base(futian)).get_data(as_text=True)
    assert "futian/retirees" in index and "区退休职工对工会工作的满意度（&gt; 80%）" in index
    assert "区退休职工管理" in client.get(f"/projects/{futian.project.id}").get_data(as_text=True)
    token = staff_token(client, base(futian))
    created = client.post(base(futian), data={"csrf_token": token, "template": "futian/retirees",
                                              "title": "2022年节日慰问金满意度调查", "indicator_row_id": "r7",
                                              "mode": "open", "min_seconds": "30"})
    assert created.status_code == 302
    survey = db.session.scalars(select(Survey)).one()
    assert (survey.status, survey.indicator_row_id, survey.min_seconds, survey.title) == \
        ("draft", "r7", 30, "2022年节日慰问金满意度调查")
    assert re.fullmatch(r"[a-z2-7]{8}", survey.slug)
    assert survey.definition["id"] == "futian.survey.retirees"  # a snapshot of the template
    assert client.get(f"/s/{survey.slug}").status_code == 404  # not yet published
    detail = client.get(created.headers["Location"]).get_data(as_text=True)
    assert f"/s/{survey.slug}" in detail and "<svg" in detail
    client.post(base(futian, survey) + "/settings", data={
        "csrf_token": token, "title": "节日慰问金满意度调查", "indicator_row_id": "r7", "min_seconds": "45",
        "straight_line_min_rows": "0", "mode": "invitation"})
    client.post(base(futian, survey) + "/publish", data={"csrf_token": token})
    db.session.refresh(survey)
    assert (survey.status, survey.mode, survey.min_seconds, survey.straight_line_min_rows) == \
        ("open", "invitation", 45, 0)
    assert client.get(f"/s/{survey.slug}").status_code == 200
    client.post(base(futian, survey) + "/close", data={"csrf_token": token})
    db.session.refresh(survey)
    assert survey.status == "closed" and survey.closed_at is not None
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "survey")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["survey.create", "survey.update", "survey.publish", "survey.close"]
    history = client.get(base(futian, survey)).get_data(as_text=True)
    assert "结束问卷" in history and "修改问卷设置" in history


def test_only_a_satisfaction_row_can_be_linked(app, client, futian):
    log_in(client, "futian_a")
    token = staff_token(client, base(futian))
    client.post(base(futian), data={"csrf_token": token, "template": "futian/retirees", "indicator_row_id": "r1"})
    assert db.session.scalars(select(Survey)).all() == []
    page = client.get(base(futian)).get_data(as_text=True)
    assert "所选指标不是本项目绩效目标表中的满意度指标" in page
    # another jurisdiction's template is not offered and not accepted
    client.post(base(futian), data={"csrf_token": token, "template": "boye/model_workers"})
    assert db.session.scalars(select(Survey)).all() == []


# --- sharing --------------------------------------------------------------------------------------------------------

def test_qr_codes_and_poster(app, client, futian):
    survey = futian.survey()
    log_in(client, "futian_a")
    url = f"http://localhost/s/{survey.slug}"
    svg = client.get(base(futian, survey) + "/qr.svg")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")
    expected = io.BytesIO()
    segno.make(url, error="m").save(expected, kind="svg", scale=8, border=2, xmldecl=False, svgns=True,
                                    title=f"二维码：{survey.title}", svgclass="qr", lineclass=None)
    assert svg.data == expected.getvalue()  # encodes exactly the public link
    png = client.get(base(futian, survey) + "/qr.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    poster = client.get(base(futian, survey) + "/poster").get_data(as_text=True)
    assert "区退休职工管理" in poster and survey.title in poster and url in poster and "<svg" in poster
    assert "survey.css" in poster
    assert "@page{size:A4" in client.get("/static/survey.css").get_data(as_text=True)


def test_public_base_url_setting(app, futian):
    survey = futian.survey()
    app.config["SURVEY_PUBLIC_BASE_URL"] = "https://pj.example.gov.cn/"
    assert public_url(survey) == f"https://pj.example.gov.cn/s/{survey.slug}"


def test_invitation_codes_csv(app, client, futian):
    survey = futian.survey(mode="invitation")
    log_in(client, "futian_a")
    token = staff_token(client, base(futian, survey))
    download = client.post(base(futian, survey) + "/invitations", data={"csrf_token": token, "count": "5"})
    assert download.mimetype == "text/csv" and download.headers["Cache-Control"] == "no-store"
    lines = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0] == ["邀请码", "填答链接"] and len(lines) == 6
    codes = [line[0] for line in lines[1:]]
    assert all(re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", c) for c in codes) and len(set(codes)) == 5
    assert lines[1][1] == f"http://localhost/s/{survey.slug}?c={codes[0].replace('-', '')}"
    stored = db.session.scalars(select(SurveyInvitation.code_hash)).all()
    assert len(stored) == 5 and not any(c.replace("-", "") in " ".join(stored) for c in codes)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "survey.invitations")).one()
    assert event.detail == {"count": 5}
    assert "已生成 5 个，已使用 0 个" in client.get(base(futian, survey)).get_data(as_text=True)
    # an open survey has no codes
    open_survey = futian.survey()
    client.post(base(futian, open_survey) + "/invitations", data={"csrf_token": token, "count": "5"})
    assert db.session.scalars(select(SurveyInvitation).where(SurveyInvitation.survey_id == open_survey.id)).all() == []


# --- results ----------------------------------------------------------------------------------------------------------

def test_results_index_interval_distributions_and_reinclusion(app, client, futian):
    survey = futian.survey()
    fill(survey)
    fill(survey, [STRAIGHT])
    log_in(client, "futian_a")
    html = client.get(base(futian, survey) + "/results").get_data(as_text=True)
    assert re.search(r'id="valid">3<', html) and re.search(r'id="invalid">1<', html)
    # item means: timely 93.33, amount 86.67, convenient 86.67, informed 66.67, staff 93.33, overall 80;
    # (93.33 + 86.67 + 86.67 + 66.67 + 93.33 + 2·80) / 7 = 586.67 / 7 = 83.81
    assert "<strong>83.81%</strong>" in html
    # respondent scores 82.857, 71.429, 97.143: s = 12.884; t(2) = 4.303;
    # half = 4.303 × 12.884 / √3 = 32.01 → 51.80 – 100.00 (115.82 clipped)
    assert "51.80% – 100.00%（±32.01）" in html
    # 3 answers cannot show "> 80%": the interval straddles the target
    assert "不能确定是否达到目标" in html and 'id="sample-warning"' in html
    # with the flagged response counted: (70 + 65 + 65 + 50 + 70 + 2·60) / 7 = 440 / 7 = 62.86
    assert "62.86%" in html
    assert html.count('<svg class="survey-chart"') == 9  # received, age, 5 statements, overall, channel
    assert "<td>很满意</td><td class=\"num\">2</td><td class=\"num\">66.7%</td>" in html  # timely
    assert "矩阵题所有陈述选了同一项" in html

    flagged = db.session.scalars(select(SurveyResponse).where(SurveyResponse.excluded.is_(True))).one()
    token = staff_token(client, base(futian, survey) + "/results")
    client.post(base(futian, survey) + f"/responses/{flagged.id}/include", data={"csrf_token": token})
    db.session.refresh(flagged)
    assert not flagged.excluded and flagged.reasons == ["straight_lining"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "survey.response_include")).one()
    assert event.detail == {"response_id": flagged.id, "reasons": ["straight_lining"]}
    assert event.actor.username == "futian_a"
    html = client.get(base(futian, survey) + "/results").get_data(as_text=True)
    assert re.search(r'id="valid">4<', html) and "<strong>62.86%</strong>" in html and "已重新计入" in html
    client.post(base(futian, survey) + f"/responses/{flagged.id}/exclude", data={"csrf_token": token})
    db.session.refresh(flagged)
    assert flagged.excluded and flagged.reasons == ["straight_lining", "manual"]


def test_satisfaction_result_and_survey_for_indicator(app, futian):
    draft = futian.survey(status="draft")
    survey = futian.survey()
    fill(survey)
    assert survey_for_indicator(futian.project, "r7") == survey  # open before draft
    survey.status, survey.closed_at = "closed", NOW
    db.session.commit()
    result = satisfaction_result(survey)
    assert (result.percent, result.valid, result.invalid) == (Decimal("83.81"), 3, 0)
    assert (result.ci_low, result.ci_high) == (Decimal("51.80"), Decimal("100.00"))
    assert result.survey_id == survey.id and result.url.endswith(f"/s/{survey.slug}")
    assert survey_for_indicator(futian.project, "r7") == survey
    assert survey_for_indicator(futian.project, "r1") is None
    # the JSON API passes the project
    assert satisfaction_result(futian.project).percent == Decimal("83.81")
    assert draft.id != survey.id


def test_results_without_answers(app, client, futian):
    survey = futian.survey()
    result = satisfaction_result(survey)
    assert (result.percent, result.valid, result.ci_low) == (None, 0, None)
    log_in(client, "futian_a")
    html = client.get(base(futian, survey) + "/results").get_data(as_text=True)
    assert "至少需要 2 份有效答卷" in html and "样本量不足" in html


# --- exports ------------------------------------------------------------------------------------------------------------

def test_exports_neutralise_formulas(app, client, futian):
    survey = futian.survey()
    fill(survey, ROWS[:1], suggestion="=HYPERLINK(\"http://evil\",\"点我\")")
    fill(survey, [STRAIGHT], suggestion="@SUM(A1)")
    log_in(client, "futian_a")
    text = client.get(base(futian, survey) + "/export.csv").get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = rows[0]
    assert header[:5] == ["答卷编号", "提交时间（北京时间）", "用时（秒）", "状态", "无效原因"]
    assert "请对慰问金发放的以下方面作出评价：发放及时，节前就能收到" in header
    first = dict(zip(header, rows[1]))
    assert first["状态"] == "有效" and first["用时（秒）"] == "180"
    assert first["总体来说，您对今年的节日慰问金发放满意吗？"] == "满意"
    assert first["您还有什么意见或建议？"] == "'=HYPERLINK(\"http://evil\",\"点我\")"
    second = dict(zip(header, rows[2]))
    assert second["状态"] == "无效（已排除）" and "直线作答" in second["无效原因"]
    assert second["您还有什么意见或建议？"] == "'@SUM(A1)"

    book = openpyxl.load_workbook(io.BytesIO(client.get(base(futian, survey) + "/export.xlsx").data))
    sheet = book["答卷"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:5] == header[:5] and len(values) == 3
    column = header.index("您还有什么意见或建议？")
    cell = sheet.cell(row=2, column=column + 1)
    assert cell.value == "'=HYPERLINK(\"http://evil\",\"点我\")" and cell.data_type == "s"
