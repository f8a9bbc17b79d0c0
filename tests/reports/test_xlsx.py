"""The goal form as Excel: paper layout, formula injection, the round trip, and the import
through HTTP with its row-level errors (nothing written when any row fails)."""
from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEvent, Project, Submission
from core.reports import xlsx
from core.reports.paper import UNITS
from tests.conftest import csrf_token
from tests.reports.conftest import BOYE_1, BOYE_4, sign_in

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "form_definitions"
BOYE = json.loads((ROOT / "demo" / "boye_2023.json").read_text(encoding="utf-8"))


def definition(code: str) -> dict:
    return json.loads((DEFINITIONS / code / "goal.json").read_text(encoding="utf-8"))


def boye_data(index: int) -> dict:
    """A Boye project of the seed as the goal form holds it (fields, plan, rows)."""
    spec = BOYE["projects"][index]
    fields = {"unit_name": BOYE["organization"], "project_code": spec["code"], "project_name": spec["name"],
              "budget_total": spec["budget"], **spec["fields"]}
    return {"fields": fields, "milestones": dict(spec["milestones"]), "indicators": [dict(r) for r in spec["rows"]]}


def sample_data(raw: dict) -> dict:
    """Every field of ``raw`` filled, with the kinds of values filers type."""
    fields = {}
    for section in raw["sections"]:
        for spec in section["fields"]:
            kind = spec["type"]
            if kind == "money":
                fields[spec["id"]] = "1234.50"
            elif kind == "integer":
                fields[spec["id"]] = "2023"
            elif kind == "percent":
                fields[spec["id"]] = "95.39"
            elif kind in ("choice", "rating"):
                fields[spec["id"]] = spec["choices"][-1]["value"]
            elif kind == "yes_no":
                fields[spec["id"]] = "yes"
            elif spec.get("pattern"):  # Boye's 21-character project code
                fields[spec["id"]] = "13063723P004287100744"
            elif kind == "textarea":
                fields[spec["id"]] = "1、第一条\n2、第二条：镕堃 & <b>"
            else:
                fields[spec["id"]] = f"{spec['label']['zh']}：示例"
    points = (raw.get("milestones") or {}).get("points", [])
    milestones = {p["id"]: str(min(100, 30 * (i + 1) + (0.5 if i == 0 else 0))) for i, p in enumerate(points)}
    tree = raw["indicator_tree"]
    rows = []
    for n, category in enumerate(tree["categories"]):
        for m, child in enumerate(category["children"][:2]):
            row = {"id": f"r{n}{m}", "level1": category["id"], "level2": child["id"]}
            for column in tree.get("columns") or []:
                if column.get("choices"):
                    row[column["id"]] = column["choices"][0]["value"]
                elif column["id"] == "target":
                    row[column["id"]] = ["≥100 人", "8月31日前", "< 5 次", "≥95%"][(n + m) % 4]
                else:
                    row[column["id"]] = f"{child['label']['zh']} 第{m + 1}项"
            rows.append(row)
    return {"fields": fields, "milestones": milestones, "indicators": rows}


def meaning(raw: dict, data: dict) -> dict:
    """What a form's data says: empty values dropped, rows keyed by id with their order
    inside each 二级指标 (the export prints rows grouped in paper order)."""
    def filled(d):
        return {k: v for k, v in (d or {}).items() if v not in ("", None)}

    rows = {}
    for row in data.get("indicators") or []:
        rows.setdefault((row["level1"], row["level2"]), []).append(filled(row))
    return {"fields": filled(data.get("fields")), "milestones": filled(data.get("milestones")), "rows": rows}


@pytest.mark.parametrize("code", ["boye", "shijiazhuang", "changzhi", "chongqing", "futian"])
def test_every_goal_form_survives_the_round_trip(code):
    raw = definition(code)
    data = sample_data(raw)
    result = xlsx.import_goal(xlsx.export_goal(raw, data, organization="测试单位", year=2023), raw)
    assert result.errors == []
    assert meaning(raw, result.data) == meaning(raw, data)


@pytest.mark.parametrize("index", range(4))
def test_boye_projects_survive_the_round_trip(index):
    raw = definition("boye")
    data = boye_data(index)
    body = xlsx.export_goal(raw, data, project_id=index + 1, organization=BOYE["organization"], year=2023)
    result = xlsx.import_goal(body, raw)
    assert result.errors == []
    assert meaning(raw, result.data) == meaning(raw, data)
    assert {r["id"] for r in result.data["indicators"]} == {r["id"] for r in data["indicators"]}


def test_the_sheet_is_laid_out_like_the_paper_form():
    raw = definition("boye")
    wb = load_workbook(io.BytesIO(xlsx.export_goal(raw, boye_data(2), organization=BOYE["organization"],
                                                   year=2023)))
    ws = wb.worksheets[0]
    assert ws.title == "项目支出绩效目标表"
    assert ws["A1"].value == "项目支出绩效目标表" and ws["A1"].font.b
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert f"A1:{get_column_letter(UNITS)}1" in merged
    texts = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert "单位：万元" in texts
    # money is a number with two decimals; the spending plan is a percentage
    budget = next(c for row in ws.iter_rows() for c in row if c.value == Decimal("8.83") or c.value == 8.83)
    assert budget.number_format == "#,##0.00"
    plan = [c for row in ws.iter_rows() for c in row if c.number_format == "0%"]
    assert [c.value for c in plan] == [Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal("1")]
    # 一级指标 产出指标 spans its four rows; 二级指标 its own
    output = texts["产出指标"]
    block = next(r for r in ws.merged_cells.ranges if r.min_row == output.row and r.min_col == output.column)
    assert block.max_row - block.min_row + 1 == 4
    assert "≥200 人均标准 200 元 /人" in texts
    assert wb[xlsx.META_SHEET].sheet_state == "hidden"
    assert ws.column_dimensions[get_column_letter(xlsx.ID_COLUMN)].hidden


def test_formula_like_text_is_neutralised_and_comes_back():
    raw = definition("boye")
    data = boye_data(3)
    dangerous = {"project_name": '=HYPERLINK("http://evil.example","点击")', "purpose": "+1+1",
                 "performance_goals": "-2+3", "unit_name": "@SUM(A1)"}
    data["fields"].update(dangerous)
    data["indicators"][0]["description"] = "=cmd|' /C calc'!A0"
    data["indicators"][1]["basis"] = "'=already quoted"
    body = xlsx.export_goal(raw, data)
    wb = load_workbook(io.BytesIO(body))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    starts = {c.value[:2] for c in cells if isinstance(c.value, str)}
    assert not any(s[:1] in "=+-@" for s in starts)
    assert "'=" in starts and "'+" in starts and "'-" in starts and "'@" in starts
    result = xlsx.import_goal(body, raw)
    assert result.errors == []
    for key, value in dangerous.items():
        assert result.data["fields"][key] == value
    by_id = {r["id"]: r for r in result.data["indicators"]}
    assert by_id["r1"]["description"] == "=cmd|' /C calc'!A0"
    assert by_id["r2"]["basis"] == "'=already quoted"


def _cell_of(ws, text):
    return next(c for row in ws.iter_rows() for c in row if c.value == text)


def _edited(body: bytes, edit) -> bytes:
    wb = load_workbook(io.BytesIO(body))
    edit(wb.worksheets[0])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_import_lists_row_errors_and_returns_no_data():
    raw = definition("boye")
    body = xlsx.export_goal(raw, boye_data(3))

    def edit(ws):
        target = _cell_of(ws, "按月支付")  # the first 时效指标 target
        target.value = "≥abc%"
        money = next(c for row in ws.iter_rows() for c in row if c.value == Decimal("3.39") or c.value == 3.39)
        money.value = "三点三九"
        ecological = _cell_of(ws, "生态效益指标")
        ecological.value = "环境效益指标"
        edit.rows = (target.row, money.row, ecological.row)

    result = xlsx.import_goal(_edited(body, edit), raw)
    target_row, money_row, category_row = edit.rows
    assert result.data == {}
    assert any(e.startswith(f"第 {target_row} 行：") and "指标值「≥abc%」" in e for e in result.errors), result.errors
    assert any(e.startswith(f"第 {money_row} 行：") and "「预算数」必须是数字，收到「三点三九」" in e
               for e in result.errors), result.errors
    assert any(e.startswith(f"第 {category_row} 行：") and "环境效益指标" in e for e in result.errors), result.errors


def test_import_reads_an_added_row_under_the_merged_category():
    raw = definition("boye")
    body = xlsx.export_goal(raw, boye_data(3))
    meta = load_workbook(io.BytesIO(body))
    last = meta.worksheets[0].max_row

    def edit(ws):
        # a row typed below the table: 一级/二级 left blank = the category above (满意度指标)
        starts = [1 + sum(xlsx.build_paper(raw, {}).units[:i]) for i in range(6)]
        ws.cell(row=last + 1, column=starts[2], value="投诉次数")
        ws.cell(row=last + 1, column=starts[3], value="全年有效投诉")
        ws.cell(row=last + 1, column=starts[4], value="0 次")

    result = xlsx.import_goal(_edited(body, edit), raw)
    assert result.errors == []
    added = result.data["indicators"][-1]
    assert added["name"] == "投诉次数" and added["target"] == "0 次"
    assert (added["level1"], added["level2"]) == ("satisfaction", "beneficiary")
    assert added["id"] not in {r["id"] for r in boye_data(3)["indicators"]}


def test_import_refuses_other_files():
    raw = definition("boye")
    assert "不是有效的 Excel" in xlsx.import_goal(b"not a zip file", raw).errors[0]
    futian = definition("futian")
    other = xlsx.export_goal(futian, sample_data(futian))
    errors = xlsx.import_goal(other, raw).errors
    assert errors and "futian.goal" in errors[0]


# ------------------------------------------------------------------ HTTP ---------

def _submission(app, code: str) -> Submission:
    return db.session.scalar(select(Submission).join(Project).where(Project.code == code,
                                                                    Submission.kind == "goal"))


def _post(client, project_id: int, body: bytes, lock_version=None, token=None):
    token = token or csrf_token(client, f"/projects/{project_id}/forms/goal/import")
    data = {"csrf_token": token, "file": (io.BytesIO(body), "goal.xlsx")}
    if lock_version is not None:
        data["lock_version"] = str(lock_version)
    return client.post(f"/projects/{project_id}/forms/goal/import", data=data,
                       content_type="multipart/form-data")


def test_export_then_import_through_http_saves_a_draft(app, client, demo):
    project_id = demo[BOYE_1]
    sign_in(client, "boye_filer")
    response = client.get(f"/projects/{project_id}/forms/goal.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def edit(ws):
        _cell_of(ws, "在档管理困难职工及劳模").value = "≥30 人"  # the seed's "target" that was no value
        plan = [c for row in ws.iter_rows() for c in row if c.number_format == "0%"]
        plan[-1].value = 1  # 12月底 100%: the plan now completes

    with app.app_context():
        before = _submission(app, BOYE_1)
        lock, saves = before.lock_version, db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "submission.save"))
    response = _post(client, project_id, _edited(response.data, edit), lock_version=lock)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        after = _submission(app, BOYE_1)
        assert after.lock_version == lock + 1
        assert after.data["milestones"]["m12"] == "100"
        assert after.data["indicators"][0]["target"] == "≥30 人"
        assert after.data["fields"]["budget_total"] == "10.09"
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "submission.save")) == saves + 1


def test_a_failing_row_writes_nothing(app, client, demo):
    project_id = demo[BOYE_1]
    sign_in(client, "boye_filer")
    exported = client.get(f"/projects/{project_id}/forms/goal.xlsx").data

    def edit(ws):
        cell = _cell_of(ws, "≥90%")
        cell.value = "≥abc%"
        edit.row = cell.row
        _cell_of(ws, "救助人数").value = "救助人次"  # a good change in the same file

    with app.app_context():
        before = _submission(app, BOYE_1)
        data, lock = before.data, before.lock_version
    response = _post(client, project_id, _edited(exported, edit), lock_version=lock)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"第 {edit.row} 行：指标值「≥abc%」无法识别" in html
    assert "表单未作任何修改" in html
    with app.app_context():
        after = _submission(app, BOYE_1)
        assert after.data == data and after.lock_version == lock


def test_import_is_for_the_filer_of_an_editable_form(app, client, demo):
    exported = xlsx.export_goal(definition("boye"), boye_data(3))
    sign_in(client, "boye_filer")
    token = csrf_token(client, f"/projects/{demo[BOYE_1]}/forms/goal/import")
    # project 4 is submitted: not editable
    response = _post(client, demo[BOYE_4], exported, token=token)
    assert response.status_code == 409 and "不能导入" in response.get_data(as_text=True)
    # a stale page: the draft changed since it was opened
    with app.app_context():
        lock = _submission(app, BOYE_1).lock_version
    response = _post(client, demo[BOYE_1], xlsx.export_goal(definition("boye"), boye_data(0)), lock_version=lock - 1,
                     token=token)
    assert response.status_code == 409
    with app.app_context():
        assert _submission(app, BOYE_1).lock_version == lock
    # no CSRF token
    response = client.post(f"/projects/{demo[BOYE_1]}/forms/goal/import",
                           data={"file": (io.BytesIO(exported), "goal.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 400


@pytest.mark.parametrize("username,status", [("boye_reviewer", 403), ("boye_leader", 403), ("boye_filer2", 404),
                                             ("futian_filer", 404)])
def test_import_refused_to_others(app, demo, username, status):
    client = app.test_client()
    sign_in(client, username)
    assert client.get(f"/projects/{demo[BOYE_1]}/forms/goal/import").status_code == status
    token = csrf_token(client, "/")
    response = client.post(f"/projects/{demo[BOYE_1]}/forms/goal/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(b"x"), "goal.xlsx")})
    assert response.status_code == status


def test_upload_size_is_limited(app, client, demo):
    sign_in(client, "boye_filer")
    token = csrf_token(client, f"/projects/{demo[BOYE_1]}/forms/goal/import")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = _post(client, demo[BOYE_1], b"x" * (128 * 1024), token=token)
    assert response.status_code == 413
