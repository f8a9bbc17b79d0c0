"""The definition language: structure, meaning, the typed tree, messages."""
from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from core.definitions.errors import DefinitionInvalid, Problem
from core.definitions.loader import load_definition, validate_definition
from core.definitions.messages import MESSAGES, render


def minimal() -> dict:
    """A small but complete goal form, shaped like Boye's."""
    return {
        "id": "test.goal",
        "version": 1,
        "kind": "goal",
        "title": {"zh": "项目支出绩效目标表", "en": "Goal form"},
        "unit": "万元",
        "sections": [{
            "id": "budget",
            "label": {"zh": "预算", "en": "Budget"},
            "fields": [
                {"id": "project_name", "type": "text", "label": {"zh": "项目名称"}, "required": True},
                {"id": "budget_total", "type": "money", "label": {"zh": "预算数", "en": "Budget"}, "required": True},
                {"id": "source_fiscal", "type": "money", "label": {"zh": "财政资金", "en": "Fiscal"}},
                {"id": "source_other", "type": "money", "label": {"zh": "其他资金", "en": "Other"}},
            ],
        }],
        "computed": [{"id": "fiscal_share", "label": {"zh": "财政资金占比"},
                      "expression": "if(budget_total > 0, source_fiscal / budget_total * 100, 0)",
                      "format": "percent"}],
        "checks": [{"id": "sources_add_up",
                    "expression": "abs(source_fiscal + source_other - budget_total) < 0.005",
                    "fields": ["budget_total", "source_fiscal", "source_other"],
                    "message": {"zh": "资金来源之和必须等于预算数", "en": "The sources must add up to the budget"}}],
        "milestones": {
            "label": {"zh": "资金支出计划（%）"},
            "points": [{"id": "m03", "month": 3, "label": {"zh": "3月底"}},
                       {"id": "m06", "month": 6, "label": {"zh": "6月底"}},
                       {"id": "m12", "month": 12, "label": {"zh": "12月底"}}],
            "complete_by_month": 12,
        },
        "indicator_tree": {
            "label": {"zh": "绩效指标"},
            "categories": [
                {"id": "output", "label": {"zh": "产出指标", "en": "Output"}, "children": [
                    {"id": "quantity", "label": {"zh": "数量指标"}, "role": "quantity"},
                    {"id": "cost", "label": {"zh": "成本指标"}, "role": "cost"}]},
                {"id": "effect", "label": {"zh": "效益指标"}, "role": "effect", "children": [
                    {"id": "social", "label": {"zh": "社会效益指标"}, "role": "social"},
                    {"id": "ecological", "label": {"zh": "生态效益指标"}}]},
            ],
            "min_rows": {"output": 1},
        },
    }


def paths(problems: list[Problem]) -> list[str]:
    return [p.path for p in problems]


def only(problems: list[Problem], path: str) -> Problem:
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, problems
    return found[0]


# --- valid definitions and the typed tree ---------------------------------------------------

def test_minimal_definition_is_valid():
    assert validate_definition(minimal()) == []


def test_typed_tree_helpers():
    form = load_definition(minimal())
    assert form.id == "test.goal" and form.version == 1 and form.unit == "万元"
    assert list(form.fields_by_id) == ["project_name", "budget_total", "source_fiscal", "source_other"]
    assert form.fields_by_id["budget_total"].label("en") == "Budget"
    assert form.fields_by_id["project_name"].label("en") == "项目名称"  # falls back to Chinese
    assert form.label("m06") == "6月底"
    assert form.label("quantity") == "数量指标"
    assert form.label("nope") == "nope"
    assert form.title("en") == "Goal form"
    assert form.category("output", "cost").label() == "成本指标"
    assert form.category("output", "social") is None
    assert form.role_of("output", "quantity") == "quantity"
    assert form.role_of("effect", "ecological") == "effect"  # inherits the parent's role
    assert form.role_of("nope") is None
    assert form.milestones.complete_by.id == "m12"
    assert [c.id for c in form.indicator_tree.columns] == ["name", "description", "target", "basis"]
    assert form.raw["id"] == "test.goal"


def test_typed_tree_is_immutable():
    form = load_definition(minimal())
    with pytest.raises(dataclasses.FrozenInstanceError):
        form.version = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        form.fields_by_id["budget_total"].required = False
    with pytest.raises(TypeError):
        form.fields_by_id["x"] = None


def test_numbers_become_decimals():
    doc = minimal()
    doc["sections"][0]["fields"][1]["max"] = 0.1
    field = load_definition(doc).fields_by_id["budget_total"]
    assert str(field.max) == "0.1"


def test_load_from_json_text_and_file(tmp_path):
    text = json.dumps(minimal(), ensure_ascii=False)
    assert load_definition(text).id == "test.goal"
    path = tmp_path / "goal.json"
    path.write_text(text, encoding="utf-8")
    assert load_definition(path).id == "test.goal"
    assert load_definition(str(path)).id == "test.goal"


# --- JSON syntax ---------------------------------------------------------------------------------

def test_malformed_json_reports_line_and_column(tmp_path):
    path = tmp_path / "goal.json"
    path.write_text('{\n  "id": "boye.goal",\n  "version": 1,,\n}', encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as caught:
        load_definition(path)
    [problem] = caught.value.problems
    assert problem.path == ""
    assert problem.code == "json_syntax"
    assert problem.message.startswith("第 3 行第 16 列：JSON 语法错误")
    assert str(problem) == problem.message


def test_malformed_json_text_in_english():
    with pytest.raises(DefinitionInvalid) as caught:
        load_definition('{\n  "id": "x"\n  "kind": "goal"}', lang="en")
    assert caught.value.problems[0].message.startswith("line 3, column 3: JSON syntax error")


def test_file_problems_have_json_paths(tmp_path):
    doc = minimal()
    doc["version"] = 0
    path = tmp_path / "goal.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as caught:
        load_definition(path)
    assert [str(p) for p in caught.value.problems] == ["version: 不能小于 1，收到 0"]


def test_missing_file(tmp_path):
    with pytest.raises(DefinitionInvalid) as caught:
        load_definition(tmp_path / "nope.json")
    assert caught.value.problems[0].code == "file_unreadable"


# --- structure ------------------------------------------------------------------------------------

def test_unknown_field_type_names_path_and_lists_types():
    doc = minimal()
    doc["sections"][0]["fields"][3]["type"] = "colour"
    problem = only(validate_definition(doc), "sections[0].fields[3].type")
    assert problem.code == "unknown_type"
    assert problem.message.startswith("未知的字段类型「colour」，可用：text, textarea, integer,")
    assert "signature" in problem.message


def test_wrong_types():
    doc = minimal()
    doc["sections"][0]["fields"][1]["min"] = "x"
    doc["sections"][0]["fields"][1]["required"] = "yes"
    doc["indicator_tree"]["categories"][0]["weight"] = "abc"
    doc["milestones"]["points"][0]["month"] = "3"
    doc["version"] = 1.5
    problems = validate_definition(doc)
    assert only(problems, "sections[0].fields[1].min").message == "必须是数字，收到「x」"
    assert only(problems, "sections[0].fields[1].required").code == "not_boolean"
    assert only(problems, "indicator_tree.categories[0].weight").message == "必须是数字，收到「abc」"
    assert only(problems, "milestones.points[0].month").code == "not_integer"
    assert only(problems, "version").code == "not_integer"


def test_scoring_weight_is_checked_by_the_scoring_validator():
    pytest.importorskip("core.scoring.schema")
    doc = minimal()
    doc["scoring"] = {"max": 100, "nodes": [{"id": "a", "label": {"zh": "甲"}, "weight": "abc",
                                              "rule": {"type": "manual"}}]}
    assert "scoring.nodes[0].weight" in paths(validate_definition(doc))


def test_missing_and_unknown_keys():
    doc = minimal()
    del doc["sections"][0]["fields"][0]["label"]
    doc["sections"][0]["fields"][0]["requried"] = True
    doc["colour"] = "red"
    problems = validate_definition(doc)
    assert only(problems, "sections[0].fields[0].label").message == "缺少必填项「label」"
    assert only(problems, "sections[0].fields[0].requried").message == "未知的键「requried」"
    assert only(problems, "colour").code == "unknown_key"


def test_bad_ids_kinds_units_and_non_objects():
    doc = minimal()
    doc["id"] = "Test Goal"
    doc["kind"] = "budget"
    doc["unit"] = "美元"
    doc["sections"][0]["fields"][0]["id"] = "ProjectName"
    doc["sections"][0]["fields"].append("text")
    problems = validate_definition(doc)
    assert only(problems, "id").code == "bad_definition_id"
    assert only(problems, "kind").message.startswith("未知的表单种类「budget」")
    assert only(problems, "unit").message == "未知的金额单位「美元」，可用：元, 万元"
    assert only(problems, "sections[0].fields[0].id").code == "bad_id"
    assert only(problems, "sections[0].fields[4]").message == "必须是对象（{…}）"
    assert validate_definition([]) == [Problem("", "必须是对象（{…}）", "not_object")]


def test_prefill_sources():
    doc = minimal()
    doc["sections"][0]["fields"][0]["prefill"] = "project.name"
    assert load_definition(doc).fields_by_id["project_name"].prefill == "project.name"
    doc["sections"][0]["fields"][0]["prefill"] = "project.title"
    problem = only(validate_definition(doc), "sections[0].fields[0].prefill")
    assert problem.message.startswith("未知的预填来源「project.title」，可用：project.name, project.code")


def test_nan_is_not_a_number():
    doc = minimal()
    doc["sections"][0]["fields"][1].update(min=float("nan"), max=1)  # json.loads accepts NaN
    assert [p.code for p in validate_definition(doc)] == ["not_number"]


def test_invalid_regular_expression():
    doc = minimal()
    doc["sections"][0]["fields"][0]["pattern"] = "^[0-9A-Z{21}$("
    assert only(validate_definition(doc), "sections[0].fields[0].pattern").code == "bad_pattern"


# --- meaning ------------------------------------------------------------------------------------------

def test_duplicate_ids_across_fields_and_computed():
    doc = minimal()
    doc["computed"][0]["id"] = "budget_total"
    doc["sections"].append({"label": {"zh": "另一节"}, "fields": [
        {"id": "project_name", "type": "text", "label": {"zh": "重复"}}]})
    doc["checks"].append(copy.deepcopy(doc["checks"][0]))
    problems = validate_definition(doc)
    assert only(problems, "computed[0].id").message == "id「budget_total」重复（已用于 sections[0].fields[1]）"
    assert only(problems, "sections[1].fields[0].id").code == "duplicate_id"
    assert only(problems, "checks[1].id").code == "duplicate_id"


def test_bad_expression_reports_path_and_position():
    doc = minimal()
    doc["checks"][0]["expression"] = "source_fiscal + * 2"
    problem = only(validate_definition(doc), "checks[0].expression")
    assert problem.code == "expression"
    assert problem.message.startswith("表达式错误（第 ")
    assert "个字符）" in problem.message


def test_expression_with_unknown_name():
    doc = minimal()
    doc["checks"][0]["expression"] = "abs(source_fiscal + source_othr - budget_total) < 0.005"
    problem = only(validate_definition(doc), "checks[0].expression")
    assert "第 21 个字符" in problem.message  # 1-based: "source_othr" starts at the 21st character
    assert "source_othr" in problem.message and "source_other" in problem.message


def test_expressions_in_fields_and_check_field_lists():
    doc = minimal()
    doc["sections"][0]["fields"][2]["visible_if"] = "has_fiscal"
    doc["checks"][0]["fields"].append("budget")
    problems = validate_definition(doc)
    assert only(problems, "sections[0].fields[2].visible_if").code == "expression"
    assert only(problems, "checks[0].fields[3]").message == "引用了不存在的字段「budget」"


def test_computed_may_use_only_earlier_computed_values():
    doc = minimal()
    doc["computed"].insert(0, {"id": "double_share", "label": {"zh": "两倍"}, "expression": "fiscal_share * 2"})
    assert only(validate_definition(doc), "computed[0].expression").code == "expression"
    doc["computed"].reverse()
    assert validate_definition(doc) == []


def test_choices_min_max_and_applicability():
    doc = minimal()
    fields = doc["sections"][0]["fields"]
    fields.append({"id": "nature", "type": "choice", "label": {"zh": "项目属性"}})
    fields.append({"id": "rating", "type": "rating", "label": {"zh": "评分"}, "choices": [
        {"value": "1", "label": {"zh": "一"}}, {"value": "1", "label": {"zh": "二"}}]})
    fields[1]["min"], fields[1]["max"] = 100, 10
    fields[1]["pattern"] = "^[0-9]+$"
    problems = validate_definition(doc)
    assert only(problems, "sections[0].fields[4].choices").message == "「choice」类型的字段必须给出非空的 choices"
    assert only(problems, "sections[0].fields[5].choices[1].value").code == "duplicate_choice"
    assert only(problems, "sections[0].fields[1].min").message == "min（100）大于 max（10）"
    assert only(problems, "sections[0].fields[1].pattern").message == "「pattern」不适用于「money」类型的字段"


def test_money_needs_a_unit():
    doc = minimal()
    del doc["unit"]
    assert only(validate_definition(doc), "unit").code == "unit_needed"


def test_milestones_must_ascend_and_contain_complete_by_month():
    doc = minimal()
    doc["milestones"]["points"][1]["month"] = 2
    doc["milestones"]["complete_by_month"] = 11
    problems = validate_definition(doc)
    assert only(problems, "milestones.points[1].month").message == \
        "月份必须在 1–12 之间且严格递增：2 月排在 3 月之后"
    assert only(problems, "milestones.complete_by_month").code == "complete_by_unknown"


def test_milestone_month_out_of_range():
    doc = minimal()
    doc["milestones"]["points"][2]["month"] = 13
    assert only(validate_definition(doc), "milestones.points[2].month").message == "必须在 1 到 12 之间，收到 13"


def test_indicator_tree_ids_roles_and_min_rows():
    doc = minimal()
    tree = doc["indicator_tree"]
    tree["categories"][1]["children"][0]["id"] = "quantity"
    tree["categories"][1]["children"][1]["role"] = "green"
    tree["min_rows"]["satisfaction"] = 1
    problems = validate_definition(doc)
    assert only(problems, "indicator_tree.categories[1].children[0].id").code == "duplicate_id"
    assert only(problems, "indicator_tree.categories[1].children[1].role").code == "unknown_role"
    assert only(problems, "indicator_tree.min_rows.satisfaction").code == "min_rows_unknown"


def test_weights_must_add_up_like_shijiazhuang_project_performance():
    # 附件二 prints 45 for 项目绩效 whose parts add up to 36 (DOMAIN.md §4.1)
    doc = minimal()
    output = doc["indicator_tree"]["categories"][0]
    output["weight"] = 45
    output["children"][0]["weight"] = 12
    output["children"][1]["weight"] = 24
    problem = only(validate_definition(doc), "indicator_tree.categories[0].weight")
    assert problem.message == "下级分值之和为 36，与本级分值 45 不一致"
    output["weight"] = 36
    assert validate_definition(doc) == []


def test_every_problem_is_reported_in_one_pass():
    doc = minimal()
    doc["sections"][0]["fields"][3]["type"] = "colour"
    doc["checks"][0]["expression"] = "budget_total >"
    doc["milestones"]["points"][1]["month"] = 2
    assert set(paths(validate_definition(doc))) == {
        "sections[0].fields[3].type", "checks[0].expression", "milestones.points[1].month"}


# --- messages ------------------------------------------------------------------------------------------

def test_messages_in_english():
    doc = minimal()
    doc["sections"][0]["fields"][3]["type"] = "colour"
    problem = only(validate_definition(doc, lang="en"), "sections[0].fields[3].type")
    assert problem.message.startswith("unknown field type “colour”; available: text, textarea")


def test_catalogue_is_complete_and_bilingual():
    for key, entry in MESSAGES.items():
        assert entry.get("zh") and entry.get("en"), key
    assert render("negative", label="预算数") == "预算数不能为负数"
    assert render("no_such_key") == "no_such_key"
    assert render("negative") == "{label}不能为负数"  # a missing parameter never crashes
