"""The definition language's survey additions: matrix, per-question weight, choice score;
and the survey templates of every seed jurisdiction."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from core.definitions.data import validate_data
from core.definitions.loader import load_definition, validate_definition
from core.definitions.locations import FORM_DEFINITIONS_DIR
from survey.catalog import templates_for, templates_in

LEVELS = [{"value": v, "label": {"zh": zh}} for v, zh in
          (("5", "很满意"), ("4", "满意"), ("3", "基本满意"), ("2", "不太满意"), ("1", "不满意"))]


def survey_doc(**extra_field):
    return copy.deepcopy({
        "id": "test.survey", "version": 1, "kind": "survey", "title": {"zh": "满意度调查"},
        "sections": [{"id": "p1", "label": {"zh": "评价"}, "fields": [
            {"id": "service", "type": "matrix", "label": {"zh": "请评价"}, "required": True, "weight": 2,
             "choices": LEVELS, "rows": [{"id": "timely", "label": {"zh": "及时"}},
                                         {"id": "amount", "label": {"zh": "足额"}, "weight": 3}]},
            {"id": "overall", "type": "rating", "label": {"zh": "总体"}, "choices": LEVELS + [
                {"value": "na", "label": {"zh": "不了解"}}], **extra_field},
        ]}],
    })


def only(problems, path):
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, problems
    return found[0]


def test_matrix_weight_and_score_are_valid():
    assert validate_definition(survey_doc(weight=1)) == []
    definition = load_definition(survey_doc())
    matrix = definition.fields_by_id["service"]
    assert [r.id for r in matrix.rows] == ["timely", "amount"]
    assert matrix.weight == Decimal(2) and matrix.rows[1].weight == Decimal(3)
    assert [c.scored for c in definition.fields_by_id["overall"].choices] == [100, 80, 60, 30, 0, None]


def test_choice_score_overrides_the_default_scale():
    doc = survey_doc()
    doc["sections"][0]["fields"][1]["choices"] = [{"value": "yes", "label": {"zh": "满意"}, "score": 100},
                                                  {"value": "no", "label": {"zh": "不满意"}, "score": 0}]
    assert validate_definition(doc) == []
    assert [c.scored for c in load_definition(doc).fields_by_id["overall"].choices] == [100, 0]


def test_matrix_needs_rows_with_unique_ids():
    doc = survey_doc()
    doc["sections"][0]["fields"][0]["rows"] = []
    assert only(validate_definition(doc), "sections[0].fields[0].rows").code == "rows_missing"
    doc["sections"][0]["fields"][0]["rows"] = [{"id": "a", "label": {"zh": "甲"}}, {"id": "a", "label": {"zh": "乙"}}]
    assert only(validate_definition(doc), "sections[0].fields[0].rows[1].id").code == "duplicate_id"


def test_rows_and_weight_apply_only_where_they_mean_something():
    doc = survey_doc()
    doc["sections"][0]["fields"].append({"id": "note", "type": "textarea", "label": {"zh": "建议"}, "weight": 1,
                                         "rows": [{"id": "a", "label": {"zh": "甲"}}]})
    problems = validate_definition(doc)
    assert only(problems, "sections[0].fields[2].weight").message == "「weight」不适用于「textarea」类型的字段"
    assert only(problems, "sections[0].fields[2].rows").code == "not_applicable"


def test_a_survey_rating_needs_a_scale():
    doc = survey_doc()
    doc["sections"][0]["fields"][1]["choices"] = [{"value": "a", "label": {"zh": "好"}},
                                                  {"value": "b", "label": {"zh": "差"}}]
    assert only(validate_definition(doc), "sections[0].fields[1].choices").code == "scale_missing"
    # outside a survey a rating keeps its old meaning: no scale required
    doc["kind"] = "assessment"
    assert [p for p in validate_definition(doc) if p.code == "scale_missing"] == []


def test_bad_weight_and_score_are_structure_errors():
    doc = survey_doc(weight=-1)
    doc["sections"][0]["fields"][0]["choices"][0]["score"] = 120
    problems = validate_definition(doc)
    assert only(problems, "sections[0].fields[1].weight").code == "at_least"
    assert only(problems, "sections[0].fields[0].choices[0].score").code == "range"


def test_matrix_answers_are_validated_and_normalised():
    definition = load_definition(survey_doc())
    data, problems = validate_data(definition, {"fields": {"service": {"timely": "5", "amount": "满意"},
                                                           "overall": "na"}})
    assert problems == []
    assert data["fields"] == {"service": {"timely": "5", "amount": "4"}, "overall": "na"}
    _, problems = validate_data(definition, {"fields": {"service": {"timely": "5"}}})
    assert only(problems, "fields.service").message == "「请评价」还有 1 项没有选择：足额"
    _, problems = validate_data(definition, {"fields": {"service": {"timely": "7", "amount": "5"}}})
    assert only(problems, "fields.service").code == "not_a_choice"
    _, problems = validate_data(definition, {"fields": {"service": {"nope": "5"}}})
    assert only(problems, "fields.service").code == "unknown_matrix_row"
    _, problems = validate_data(definition, {"fields": {"service": "5"}})
    assert only(problems, "fields.service").code == "matrix_not_object"
    _, problems = validate_data(definition, {"fields": {}})
    assert only(problems, "fields.service").code == "field_required"


# --- the templates shipped with the seed jurisdictions ------------------------------------------------------

TEMPLATES = sorted(p.relative_to(FORM_DEFINITIONS_DIR).as_posix()
                   for p in FORM_DEFINITIONS_DIR.glob("*/surveys/*.json"))


def test_every_seed_jurisdiction_has_a_survey_template():
    codes = {t.split("/")[0] for t in TEMPLATES}
    assert {"shijiazhuang", "boye", "changzhi", "chongqing", "futian", "_default"} <= codes
    assert {"boye/surveys/hardship_workers.json", "boye/surveys/model_workers.json",
            "futian/surveys/retirees.json", "chongqing/surveys/women_children.json",
            "changzhi/surveys/public_service.json"} <= set(TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES)
def test_template_is_a_valid_bilingual_survey(path):
    definition = load_definition(FORM_DEFINITIONS_DIR / path)
    assert definition.kind == "survey"
    assert definition.id.endswith(".survey." + path.rsplit("/", 1)[1].removesuffix(".json"))
    assert any(f.type in ("rating", "matrix") for f in definition.fields)
    for f in definition.fields:
        assert f.label.en, f.id
        assert all(c.label.en for c in f.choices), f.id
        assert all(r.label.en for r in f.rows), f.id


def test_futian_template_asks_about_this_project_not_the_union():
    # Futian 六.四: last year's survey was about the union's work in general.
    definition = load_definition(FORM_DEFINITIONS_DIR / "futian" / "surveys" / "retirees.json")
    labels = " ".join(f.label.zh for f in definition.fields)
    assert "慰问金" in labels and "工会工作" not in labels


def test_catalog_prefers_the_jurisdictions_own_template(app, people):
    changzhi = people.jurisdiction("changzhi")
    keys = [t.key for t in templates_for(changzhi)]
    assert "changzhi/public_service" in keys and "_default/public_service" not in keys
    futian = people.jurisdiction("futian")
    assert [t.key for t in templates_for(futian)] == ["futian/retirees", "_default/public_service"]


def test_catalog_skips_invalid_and_non_survey_files(tmp_path):
    folder = tmp_path / "x" / "surveys"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{", encoding="utf-8")
    (folder / "goal.json").write_text((FORM_DEFINITIONS_DIR / "boye" / "goal.json").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    (folder / "ok.json").write_text((FORM_DEFINITIONS_DIR / "changzhi" / "surveys" / "public_service.json")
                                    .read_text(encoding="utf-8"), encoding="utf-8")
    assert [t.key for t in templates_in("x", tmp_path)] == ["x/ok"]
