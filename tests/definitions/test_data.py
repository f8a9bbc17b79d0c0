"""Filled-in forms: validation and normalisation, on the seeds' real numbers."""
from __future__ import annotations

import pytest

from core.definitions.data import compute, validate_data
from core.definitions.loader import load_definition
from core.definitions.locations import builtin_pack_dir
from tests.quality.boye_rows import PROJECT_1

# Boye, project 1 as printed (冀财行【2021】102号…): 12月底 is left blank.
BOYE_PROJECT_1_ROWS = [tuple(row[k] for k in ("level1", "level2", "name", "description", "target", "basis"))
                       for row in PROJECT_1]
KEYS = ("level1", "level2", "name", "description", "target", "basis")


@pytest.fixture(scope="module")
def boye():
    return load_definition(builtin_pack_dir("boye") / "goal.json")


def boye_project_1(**fields) -> dict:
    values = {
        "unit_name": "711001 博野县总工会本级",
        "project_code": "13063723P004287100744",
        "project_name": "冀财行【2021】102号提前下达2022年困难职工及劳模帮扶救助专项资金",
        "budget_total": "10.09", "source_fiscal": "10.09", "source_other": "",
        "purpose": "对在档管理困难职工及困难劳模进行常态化帮扶，开展生活救助等使其家庭困难得到有效缓解。",
        "performance_goals": "1. 对在档管理困难职工及困难劳模进行常态化帮扶，开展生活救助等使其家庭困难得到有效缓解。",
    }
    values.update(fields)
    return {
        "fields": values,
        "milestones": {"m03": "25%", "m06": "50%", "m10": "75%", "m12": ""},
        "indicators": [dict(zip(KEYS, row)) for row in BOYE_PROJECT_1_ROWS],
    }


def complete(data: dict) -> dict:
    data["milestones"]["m12"] = "100%"
    return data


def at(problems, path):
    return [p for p in problems if p.path == path]


# --- Boye project 1 as printed -------------------------------------------------------------------

def test_boye_project_1_as_printed_fails_only_on_the_spending_plan(boye):
    normalised, problems = validate_data(boye, boye_project_1())
    assert [(p.path, p.message) for p in problems] == [("milestones.m12", "支出计划须在 12月底 前达到 100%")]
    assert normalised["fields"]["budget_total"] == "10.09"
    assert normalised["fields"]["source_other"] == ""
    assert normalised["milestones"] == {"m03": "25", "m06": "50", "m10": "75", "m12": ""}
    assert [row["id"] for row in normalised["indicators"]] == [f"r{i}" for i in range(1, 9)]
    assert normalised["indicators"][1] == {"id": "r2", "level1": "output", "level2": "quality",
                                           "name": "救助准确率", "description": "救助准确率",
                                           "target": "≥90%", "basis": "文件要求"}


def test_boye_project_1_with_a_complete_plan_is_valid(boye):
    normalised, problems = validate_data(boye, complete(boye_project_1()))
    assert problems == []
    assert normalised["milestones"]["m12"] == "100"


def test_plan_complete_earlier_leaves_later_points_empty(boye):
    data = boye_project_1()
    data["milestones"] = {"m03": "25", "m06": "100", "m10": "", "m12": ""}
    assert validate_data(boye, data)[1] == []


def test_empty_plan_is_reported_once(boye):
    data = boye_project_1()
    data["milestones"] = {}
    assert [(p.path, p.message) for p in validate_data(boye, data)[1]] == [("milestones", "请填写「资金支出计划（%）」")]


# --- money and the sources check --------------------------------------------------------------------

def test_sources_not_adding_up(boye):
    data = complete(boye_project_1(source_fiscal="8.00", source_other="1.00"))
    problems = validate_data(boye, data)[1]
    assert [p.path for p in problems] == ["fields.budget_total", "fields.source_fiscal", "fields.source_other"]
    assert {p.message for p in problems} == {"财政资金与其他资金之和必须等于预算数"}
    assert {p.code for p in problems} == {"sources_add_up"}


def test_sources_adding_up_with_thousands_separators(boye):
    data = complete(boye_project_1(budget_total="1,234.50", source_fiscal="1,000", source_other="２３４．５"))
    normalised, problems = validate_data(boye, data)
    assert problems == []
    assert normalised["fields"]["budget_total"] == "1234.50"
    assert normalised["fields"]["source_other"] == "234.5"


def test_negative_budget(boye):
    data = complete(boye_project_1(budget_total="-10.09"))
    problems = validate_data(boye, data)[1]
    assert [(p.path, p.message) for p in problems] == [("fields.budget_total", "预算数不能为负数")]


def test_money_that_is_not_a_number(boye):
    normalised, problems = validate_data(boye, complete(boye_project_1(source_fiscal="abc")))
    assert normalised["fields"]["source_fiscal"] == "abc"  # kept as typed for the draft
    # the sources check is not run on a field that is already wrong
    assert [(p.path, p.message) for p in problems] == [("fields.source_fiscal", "「财政资金」必须是数字，收到「abc」")]


def test_required_field_and_pattern(boye):
    problems = validate_data(boye, complete(boye_project_1(project_name=" ", project_code="13063723p0042871007")))[1]
    assert [(p.path, p.code) for p in problems] == [("fields.project_code", "pattern_mismatch"),
                                                    ("fields.project_name", "field_required")]
    assert at(problems, "fields.project_name")[0].message == "请填写「项目名称」"


def test_both_boye_code_shapes_match_the_pattern(boye):
    for code in ("13063723P004287100744", "13063723P00428710008F", "13063723P00428710060R"):
        assert validate_data(boye, complete(boye_project_1(project_code=code)))[1] == []


def test_unknown_field_values_are_dropped(boye):
    data = complete(boye_project_1(colour="red"))
    normalised, problems = validate_data(boye, data)
    assert problems == [] and "colour" not in normalised["fields"]


def test_messages_in_english(boye):
    problems = validate_data(boye, complete(boye_project_1(budget_total="-1")), lang="en")[1]
    assert problems[0].message == "Budget may not be negative"


def test_data_that_is_not_an_object(boye):
    normalised, problems = validate_data(boye, ["x"])
    assert normalised["fields"] == {} and problems[0].code == "data_not_object"


# --- spending plan ------------------------------------------------------------------------------------

def test_milestone_over_100_percent(boye):
    data = boye_project_1()
    data["milestones"] = {"m03": "25", "m06": "50", "m10": "120%", "m12": "100"}
    problems = validate_data(boye, data)[1]
    assert [(p.path, p.message) for p in problems] == [
        ("milestones.m10", "「10月底」的累计比例必须在 0–100% 之间，收到 120%")]


def test_decreasing_plan(boye):
    data = boye_project_1()
    data["milestones"] = {"m03": "50", "m06": "40", "m10": "75", "m12": "100"}
    problems = validate_data(boye, data)[1]
    assert [(p.path, p.message) for p in problems] == [("milestones.m06", "6月底的累计比例 40% 低于 3月底的 50%")]


def test_milestone_that_is_not_a_number(boye):
    data = boye_project_1()
    data["milestones"] = {"m03": "一半", "m12": "100"}
    assert [p.code for p in validate_data(boye, data)[1]] == ["milestone_not_percent"]


def test_shijiazhuang_must_finish_by_november():
    form = load_definition(builtin_pack_dir("shijiazhuang") / "goal.json")
    data = {"milestones": {"m06": "40", "m09": "70", "m11": "90"}}
    assert at(validate_data(form, data)[1], "milestones.m11")[0].message == "支出计划须在 11月底 前达到 100%"


# --- indicator rows -----------------------------------------------------------------------------------

def test_ecological_benefit_under_output_is_refused(boye):
    data = complete(boye_project_1())
    data["indicators"][6].update(level1="output", level2="ecological")
    problems = validate_data(boye, data)[1]
    assert [(p.path, p.message) for p in problems] == [("indicators[6].level2", "「生态效益指标」不属于「产出指标」")]


def test_boye_project_4_ecological_row_under_benefit_is_accepted(boye):
    # 结果准确性 ≥100% filed under 生态效益: a quality-rule warning, not a form error
    data = complete(boye_project_1())
    data["indicators"].append(dict(zip(KEYS, ("effect", "ecological", "结果准确性", "结果准确性", "≥100%", "支出进度"))))
    assert validate_data(boye, data)[1] == []


def test_unparseable_target(boye):
    data = complete(boye_project_1())
    data["indicators"][3]["target"] = "≥abc%"
    [problem] = validate_data(boye, data)[1]
    assert problem.path == "indicators[3].target"
    assert problem.code == "target_unparseable"
    assert problem.message.startswith("指标值「≥abc%」无法识别（第 2 个字符）：比较符号「≥」后面缺少数字")


def test_rows_accept_labels_and_normalise_to_ids(boye):
    data = complete(boye_project_1())
    data["indicators"][0].update(level1="产出指标", level2="数量指标")
    normalised, problems = validate_data(boye, data)
    assert problems == []
    assert normalised["indicators"][0]["level1"] == "output"
    assert normalised["indicators"][0]["level2"] == "quantity"


def test_row_problems(boye):
    data = complete(boye_project_1())
    rows = data["indicators"]
    rows[0]["level1"] = "cost"
    rows[1]["name"] = ""
    rows[2]["target"] = ""
    rows[3]["level2"] = "greenness"
    rows[4]["id"] = rows[5]["id"] = "x1"
    problems = validate_data(boye, data)[1]
    assert at(problems, "indicators[0].level1")[0].message.startswith("未知的一级指标「cost」，可用：产出指标、效益指标")
    assert at(problems, "indicators[1].name")[0].message == "请填写「三级指标」"
    assert at(problems, "indicators[2].target")[0].message == "请填写「指标值」"
    assert at(problems, "indicators[3].level2")[0].message == "未知的二级指标「greenness」"
    assert at(problems, "indicators[5].id")[0].message == "行 id「x1」重复"


def test_min_rows_per_level1(boye):
    data = complete(boye_project_1())
    data["indicators"] = [row for row in data["indicators"] if row["level1"] != "output"]
    problems = validate_data(boye, data)[1]
    assert [(p.path, p.message) for p in problems] == [("indicators", "「产出指标」至少需要 1 行，现有 0 行")]


def test_indicators_must_be_a_list(boye):
    data = complete(boye_project_1())
    data["indicators"] = {"r1": {}}
    assert [p.path for p in validate_data(boye, data)[1]] == ["indicators"]


def test_futian_table_1_2_targets_all_parse():
    form = load_definition(builtin_pack_dir("futian") / "goal.json")
    rows = [("output", "quantity", "慰问退休职工人数", "< 2208 人"), ("output", "quantity", "节日慰问次数", "三次"),
            ("output", "quality", "节日慰问金金额发放到位率", "100%到位"), ("output", "timeliness", "慰问金发放及时性", "及时"),
            ("output", "cost", "发放慰问金总成本", "<260 万"), ("effect", "social", "落实国家规定的退休人员应有的薪酬福利待遇", "有效"),
            ("satisfaction", "beneficiary", "区退休职工对工会工作的满意度", "> 80%"),
            ("satisfaction", "other_satisfaction", "区退休职工的投诉次数", "< 5 次")]
    data = {"fields": {"year": "2022", "project_name": "区退休职工管理", "competent_department": "深圳市福田区总工会",
                       "project_type": "经常性履职类项目", "budget_total": "260.00", "annual_goal": "及时完成慰问金的发放"},
            "indicators": [dict(zip(("level1", "level2", "name", "target"), row)) for row in rows]}
    normalised, problems = validate_data(form, data)
    assert problems == []
    assert normalised["fields"]["project_type"] == "recurring"  # a choice's label is accepted too


# --- visibility, computed values, checks --------------------------------------------------------------

@pytest.fixture(scope="module")
def chongqing():
    return load_definition(builtin_pack_dir("chongqing") / "goal.json")


def chongqing_data(multi_year: str) -> dict:
    return {"fields": {"project_name": "春蕾计划", "department": "儿童部", "project_category": "organ",
                       "project_nature": "continuing", "multi_year": multi_year, "period_start": "2020",
                       "budget_total": "30",
                       "medium_term_budget": "20", "purpose": "资助", "annual_goal": "资助 100 名女童",
                       "medium_term_goal": "三年资助 300 名"},
            "milestones": {"m12": "100"},
            "indicators": [{"level1": "output", "level2": "quantity", "name": "资助人数", "target": "≥100 人"},
                           {"level1": "effect", "level2": "social", "name": "完成学业比例", "target": "≥95%",
                            "indicator_source": "个性指标"}]}


def test_hidden_fields_are_dropped_and_not_required(chongqing):
    normalised, problems = validate_data(chongqing, chongqing_data("否"))
    assert problems == []
    assert normalised["fields"]["multi_year"] == "no"
    assert "period_start" not in normalised["fields"] and "medium_term_goal" not in normalised["fields"]
    assert normalised["indicators"][1]["indicator_source"] == "custom"


def test_required_if_and_checks_on_visible_fields(chongqing):
    problems = validate_data(chongqing, chongqing_data("是"))[1]
    assert [(p.path, p.code) for p in problems] == [("fields.period_end", "field_required"),
                                                    ("fields.medium_term_budget", "annual_within_medium_term")]


def test_computed_values_and_live_preview():
    form = load_definition({
        "id": "t.monitoring", "version": 1, "kind": "monitoring", "title": {"zh": "监控"}, "unit": "万元",
        "sections": [{"label": {"zh": "执行"}, "fields": [
            {"id": "budget", "type": "money", "label": {"zh": "全年预算"}},
            {"id": "executed", "type": "money", "label": {"zh": "预算执行"}}]}],
        "computed": [{"id": "rate", "label": {"zh": "执行率"}, "format": "percent",
                      "expression": "executed / budget * 100"}],
        "checks": [{"id": "not_over", "expression": "executed <= budget", "fields": ["executed"],
                    "message": {"zh": "预算执行不能超过全年预算"}}]})
    # Futian: 258.90 executed of 258.90 → 100%; the misprinted 285.90 is caught
    assert compute(form, {"fields": {"budget": "258.90", "executed": "258.90"}}) == {"rate": "100.00"}
    normalised, problems = validate_data(form, {"fields": {"budget": "258.90", "executed": "285.90"}})
    assert normalised["computed"] == {"rate": "110.43"}
    assert [(p.path, p.message) for p in problems] == [("fields.executed", "预算执行不能超过全年预算")]
    # division by zero is reported, not crashed on
    normalised, problems = validate_data(form, {"fields": {"budget": "", "executed": "1"}})
    assert normalised["computed"] == {"rate": None}
    assert [p.path for p in problems] == ["computed.rate", "fields.executed"]
    assert compute(form, {"fields": {"budget": "0"}}) == {"rate": None}
    assert compute(form, "nonsense") == {"rate": None}


def test_values_sent_as_json_numbers_and_booleans():
    form = load_definition({
        "id": "t.api", "version": 1, "kind": "survey", "title": {"zh": "接口"},
        "sections": [{"label": {"zh": "值"}, "fields": [
            {"id": "count", "type": "integer", "label": {"zh": "次数"}},
            {"id": "ok", "type": "yes_no", "label": {"zh": "满意"}},
            {"id": "tags", "type": "multi_choice", "label": {"zh": "标签"},
             "choices": [{"value": "1", "label": {"zh": "一"}}]},
            {"id": "note", "type": "text", "label": {"zh": "备注"}}]}]})
    normalised, problems = validate_data(form, {"fields": {"count": 3, "ok": True, "tags": 1, "note": {"x": 1}}})
    assert normalised["fields"]["count"] == "3" and normalised["fields"]["ok"] == "yes"
    assert normalised["fields"]["tags"] == ["1"]
    assert [(p.path, p.code) for p in problems] == [("fields.note", "value_not_text")]


def test_field_types():
    form = load_definition({
        "id": "t.survey", "version": 1, "kind": "survey", "title": {"zh": "问卷"},
        "sections": [{"label": {"zh": "问题"}, "fields": [
            {"id": "people", "type": "integer", "label": {"zh": "人数"}, "min": 1},
            {"id": "share", "type": "percent", "label": {"zh": "比例"}},
            {"id": "day", "type": "date", "label": {"zh": "日期"}},
            {"id": "ok", "type": "yes_no", "label": {"zh": "是否满意"}},
            {"id": "topics", "type": "multi_choice", "label": {"zh": "关注"}, "choices": [
                {"value": "health", "label": {"zh": "健康"}}, {"value": "money", "label": {"zh": "慰问金"}}]},
            {"id": "note", "type": "text", "label": {"zh": "备注"}, "max_length": 5}]}]})
    normalised, problems = validate_data(form, {"fields": {
        "people": "2,185", "share": "95.39%", "day": "2022年8月31日", "ok": "是", "topics": "健康、money",
        "note": "很好"}})
    assert problems == []
    assert normalised["fields"] == {"people": "2185", "share": "95.39", "day": "2022-08-31", "ok": "yes",
                                    "topics": ["health", "money"], "note": "很好"}
    _, problems = validate_data(form, {"fields": {
        "people": "2.5", "share": "101", "day": "2022-02-30", "ok": "maybe", "topics": ["sport"],
        "note": "非常非常满意"}})
    assert [p.code for p in problems] == ["not_an_integer", "above_max", "not_a_date", "not_yes_no",
                                          "not_a_choice", "too_long"]
    _, problems = validate_data(form, {"fields": {"people": "0"}})
    assert problems[0].message == "「人数」不能小于 1，收到 0"
