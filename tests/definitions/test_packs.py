"""Jurisdiction packs: the five built-in ones, validation, export and import."""
from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pytest

from core.definitions.errors import DefinitionInvalid
from core.definitions.loader import read_json
from core.definitions.locations import FORM_DEFINITIONS_DIR, builtin_pack_dir
from core.definitions.pack import load_pack, pack_from_json, pack_to_json, validate_pack

CODES = ("shijiazhuang", "boye", "changzhi", "chongqing", "futian")


def read(path):
    doc, problems = read_json(path)
    assert problems == []
    return doc


def pack_files(code: str) -> tuple[dict, dict]:
    directory = builtin_pack_dir(code)
    doc = read(directory / "pack.json")
    return doc, {name: read(directory / name) for name in doc["forms"].values()}


@pytest.fixture
def boye_copy(tmp_path):
    target = tmp_path / "boye"
    shutil.copytree(builtin_pack_dir("boye"), target)
    # Boye uses the national default self-evaluation, named as ../_default/…
    shutil.copytree(builtin_pack_dir("_default"), tmp_path / "_default")
    return target


# --- the built-in packs -----------------------------------------------------------------------------

@pytest.mark.parametrize("code", CODES)
def test_builtin_pack_loads_and_validates(code):
    doc, forms = pack_files(code)
    assert validate_pack(doc, forms) == []
    pack = load_pack(builtin_pack_dir(code))
    assert pack.code == code
    assert pack.name("zh") and pack.name("en") != pack.name("zh")
    assert "goal" in pack.forms and pack.forms["goal"].kind == "goal"
    assert pack.forms["goal"].id == f"{code}.goal"
    assert pack.quality_rules["unparseable_target"] == "error"
    assert [b.label() for b in pack.grade_bands] == ["优", "良", "中", "差"]


@pytest.mark.parametrize("code", CODES)
def test_pack_and_goal_labels_are_bilingual(code):
    def labels(node):
        if isinstance(node, dict):
            if "zh" in node:
                yield node
            for value in node.values():
                yield from labels(value)
        elif isinstance(node, list):
            for value in node:
                yield from labels(value)

    doc, forms = pack_files(code)
    for label in labels([doc, forms["goal.json"]]):
        assert label.get("en"), label


@pytest.mark.parametrize("code", CODES)
def test_pack_lists_every_form_file_in_its_folder(code):
    doc, _ = pack_files(code)
    on_disk = {p.name for p in builtin_pack_dir(code).glob("*.json")} - {"pack.json"}
    # Forms shared with other packs (the national default) live outside the folder.
    assert {name for name in doc["forms"].values() if "/" not in name} == on_disk


def test_all_packs_are_found():
    assert {p.parent.name for p in FORM_DEFINITIONS_DIR.glob("*/pack.json")} >= set(CODES)


def test_grades_follow_changzhi_article_27():
    pack = load_pack(builtin_pack_dir("changzhi"))
    assert pack.grade(95).label() == "优"  # Futian's 95.0
    assert pack.grade(Decimal("90")).label() == "优"  # the lower bound is inclusive
    assert pack.grade(89.99).label("en") == "Good"
    assert pack.grade(60).label() == "中"
    assert pack.grade(59.9).label() == "差"


def test_shijiazhuang_goal_form_is_annex_1():
    form = load_pack(builtin_pack_dir("shijiazhuang")).forms["goal"]
    assert form.unit == "元"
    assert [p.label() for p in form.milestones.points] == ["6月底", "9月底", "11月底"]
    assert form.milestones.complete_by_month == 11
    assert [f.label() for f in form.fields if f.type == "signature"] == [
        "分管领导签字", "部门（产业工会）负责人签字", "制表人签字"]
    tree = form.indicator_tree
    assert [(c.label(), [k.label() for k in c.children]) for c in tree.categories] == [
        ("产出指标", ["数量指标", "质量指标", "时效指标"]),
        ("效果指标", ["经济效益指标", "社会效益指标", "可持续影响指标"]),
        ("满意度指标", ["服务对象满意度指标"])]


def test_boye_goal_form_matches_the_printed_tables():
    form = load_pack(builtin_pack_dir("boye")).forms["goal"]
    assert form.unit == "万元"
    assert [p.month for p in form.milestones.points] == [3, 6, 10, 12]
    assert form.fields_by_id["project_code"].pattern == "^[0-9A-Z]{21}$"
    assert [c.id for c in form.indicator_tree.categories[0].children] == ["quantity", "quality", "timeliness", "cost"]
    assert form.role_of("effect", "ecological") == "ecological"
    assert [c.label() for c in form.indicator_tree.columns] == ["三级指标", "绩效指标描述", "指标值", "指标值确定依据"]


def test_futian_goal_form_has_the_columns_of_table_1_2():
    form = load_pack(builtin_pack_dir("futian")).forms["goal"]
    assert [c.label() for c in form.indicator_tree.columns] == ["三级指标", "年度指标值"]
    assert [c.label() for c in form.indicator_tree.level1("satisfaction").children] == ["服务对象满意度", "其他满意度"]
    assert form.milestones is None


def test_chongqing_goal_form_has_annual_and_medium_term_goals():
    form = load_pack(builtin_pack_dir("chongqing")).forms["goal"]
    assert form.fields_by_id["annual_goal"].required
    assert form.fields_by_id["medium_term_goal"].visible_if == "multi_year"
    assert form.fields_by_id["multi_year"].type == "yes_no"


# --- validation --------------------------------------------------------------------------------------

def test_pack_problems_name_the_file_and_path():
    doc, forms = pack_files("boye")
    doc["grade_bands"][1]["min"] = 95
    doc["money_unit"] = "元"
    forms["goal.json"]["sections"][0]["fields"][0]["type"] = "colour"
    problems = validate_pack(doc, forms)
    assert [p.path for p in problems] == ["pack.json: grade_bands[1].min", "goal.json: sections[0].fields[0].type",
                                          "goal.json: unit", "monitoring.json: unit",
                                          "../_default/self_evaluation.json: unit"]
    assert problems[0].message == "等级下限必须从高到低排列：95 不低于上一档的 90"
    assert str(problems[2]) == "goal.json: unit: 表单金额单位「万元」与辖区金额单位「元」不一致"


def test_pack_structure_problems():
    doc, forms = pack_files("boye")
    doc["forms"]["budget"] = "budget.json"
    doc["quality_rules"]["vague_timeliness"] = "loud"
    doc["grade_bands"][3]["min"] = 10
    del doc["name"]
    paths = [p.path for p in validate_pack(doc, forms)]
    assert paths == ["pack.json: name", "pack.json: forms.budget", "pack.json: quality_rules.vague_timeliness",
                     "pack.json: grade_bands[3].min", "pack.json: forms.budget"]


def test_missing_form_and_kind_mismatch():
    doc, forms = pack_files("boye")
    doc["forms"]["ex_ante"] = "ex_ante.json"  # Boye requires no ex-ante assessment: no such file
    forms["goal.json"]["kind"] = "monitoring"
    problems = validate_pack(doc, forms)
    assert [(p.path, p.code) for p in problems] == [("goal.json: kind", "kind_mismatch"),
                                                    ("pack.json: forms.ex_ante", "form_missing")]


def test_load_pack_reports_a_broken_form_file(boye_copy):
    (boye_copy / "goal.json").write_text('{\n  "id": "boye.goal",\n  "version": 1,,\n}', encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as caught:
        load_pack(boye_copy)
    assert str(caught.value.problems[0]).startswith("goal.json: 第 3 行第 16 列：JSON 语法错误")


def test_load_pack_reports_every_problem(boye_copy):
    doc = read(boye_copy / "pack.json")
    doc["grade_bands"][1]["min"] = "80"
    (boye_copy / "pack.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    form = read(boye_copy / "goal.json")
    form["checks"][0]["expression"] = "source_fiscal +"
    (boye_copy / "goal.json").write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as caught:
        load_pack(boye_copy)
    assert [p.path for p in caught.value.problems] == ["pack.json: grade_bands[1].min",
                                                       "goal.json: checks[0].expression"]


def test_load_pack_without_pack_json(tmp_path):
    with pytest.raises(DefinitionInvalid) as caught:
        load_pack(tmp_path)
    assert caught.value.problems[0].code == "file_unreadable"


# --- export and import ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", CODES)
def test_export_import_round_trip(code):
    pack = load_pack(builtin_pack_dir(code))
    exported = pack_to_json(pack)
    assert exported["forms"]["goal"]["id"] == f"{code}.goal"  # the forms are embedded
    json.dumps(exported, ensure_ascii=False)  # one JSON document
    imported = pack_from_json(json.loads(json.dumps(exported)))
    assert imported == pack
    assert imported.forms["goal"].raw == pack.forms["goal"].raw


def test_import_validates_everything_first():
    exported = pack_to_json(load_pack(builtin_pack_dir("futian")))
    exported["forms"]["goal"]["indicator_tree"]["categories"][0]["children"][0]["role"] = "amount"
    exported["workflow"] = "strict"
    with pytest.raises(DefinitionInvalid) as caught:
        pack_from_json(exported)
    assert [p.path for p in caught.value.problems] == [
        "pack.json: workflow", "goal.json: indicator_tree.categories[0].children[0].role"]
    with pytest.raises(DefinitionInvalid):
        pack_from_json(["not", "a", "pack"])
