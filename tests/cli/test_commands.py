"""The Flask CLI commands, run as a user would."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEvent, FormDefinition, Jurisdiction, Project, Submission

ROOT = Path(__file__).resolve().parents[2]
FUTIAN_SELF_EVALUATION = ROOT / "form_definitions/futian/self_evaluation.json"
FUTIAN_SCORES = ROOT / "docs/examples/futian_2022_scores.json"
AS_PRINTED = ROOT / "tests/fixtures/definitions/shijiazhuang_self_evaluation_as_printed.json"


def test_definitions_check_passes_on_every_shipped_definition(runner):
    result = runner.invoke(args=["definitions", "check", str(ROOT / "form_definitions")])
    assert result.exit_code == 0, result.output
    assert "0 invalid" in result.output


def test_definitions_check_names_file_path_and_problem(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "x.goal", "version": 1, "kind": "goal", "title": {"zh": "x"},
                               "unit": "元", "sections": [{"id": "s", "label": {"zh": "s"}, "fields": [
                                   {"id": "a", "type": "colour", "label": {"zh": "a"}}]}]}), encoding="utf-8")
    result = runner.invoke(args=["definitions", "check", str(bad), str(AS_PRINTED)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith(f"{bad}: sections[0].fields[0].type: 未知的字段类型「colour」") for line in lines)
    assert f"{AS_PRINTED}: scoring.nodes[2].weight: 「项目绩效」的分值 45 与其下级分值之和 36 不一致" in lines


def test_definitions_check_reports_broken_json_with_line_and_column(runner, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "id": "x",\n  "version": 1,,\n}', encoding="utf-8")
    result = runner.invoke(args=["definitions", "check", str(bad)])
    assert result.exit_code == 1
    assert "第 3 行" in result.output and "JSON 语法错误" in result.output


def test_score_prints_futian_total_95(runner):
    result = runner.invoke(args=["score", "--definition", str(FUTIAN_SELF_EVALUATION), "--data", str(FUTIAN_SCORES)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["total"], printed["grade"]["zh"]) == ("95.00", "优")
    leaves = {leaf["id"]: leaf for leaf in printed["leaves"]}
    assert leaves["completion_rate"]["suggested"] == "11.88" and leaves["completion_rate"]["final"] == "11.00"
    assert len(leaves) == 17


def test_score_refuses_a_final_without_reason(runner, tmp_path):
    data = json.loads(FUTIAN_SCORES.read_text(encoding="utf-8"))
    data["scores"]["completion_rate"]["reason"] = ""
    path = tmp_path / "no_reason.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["score", "--definition", str(FUTIAN_SELF_EVALUATION), "--data", str(path)])
    assert result.exit_code == 1
    assert "leaves.completion_rate" in result.stderr and "实际完成率" in result.stderr


def test_score_refuses_data_that_is_not_json(runner, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["score", "--definition", str(FUTIAN_SELF_EVALUATION), "--data", str(path)])
    assert result.exit_code == 1 and "not valid JSON" in result.stderr


def test_seed_demo_loads_the_seed_projects_through_the_workflow(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        states = dict(db.session.execute(
            select(Project.code, Submission.state).join(Submission).where(Submission.kind == "goal")).all())
        # Projects 1 and 2 as printed stop at 75% by 10月底: they stay drafts.
        assert states["13063723P004287100744"] == "draft"
        assert states["13063723P00428710008F"] == "draft"
        assert states["13063723P00428710060R"] == "submitted"
        assert states["13063723P00428710007U"] == "submitted"
        project_4 = db.session.scalar(select(Submission).join(Project).where(
            Project.code == "13063723P00428710007U", Submission.kind == "goal"))
        rules = sorted(f["rule"] for f in project_4.findings)
        assert rules == ["category_mismatch", "target_not_a_value", "vague_timeliness"]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > 10
    # Idempotent: a second run adds nothing.
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Project)) == 5
