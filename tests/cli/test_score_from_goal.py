"""``flask score --goal``: the national default self-evaluation scored offline, its
tree instantiated from a goal exactly as the app instantiates it (issue 14, item 11)."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from core.extensions import db
from core.models import Project
from core.selfeval.scoring import score_submission
from core.selfeval.start import start_self_evaluation
from core.workflow import service
from tests.api.helpers import auth, issue_token
from tests.workflow.test_goal_flow import BOYE_ORG

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SELF_EVALUATION = ROOT / "form_definitions/_default/self_evaluation.json"
BOYE_GOAL_DEFINITION = ROOT / "form_definitions/boye/goal.json"
GOAL = ROOT / "docs/examples/boye_2023_goal.json"
SELF_EVALUATION = ROOT / "docs/examples/boye_2023_self_evaluation.json"


def _score(runner, *extra):
    return runner.invoke(args=["score", "--definition", str(DEFAULT_SELF_EVALUATION), *map(str, extra)])


def test_the_documented_example_scores_97_98(runner):
    result = _score(runner, "--data", SELF_EVALUATION, "--goal", GOAL, "--goal-definition", BOYE_GOAL_DEFINITION)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["total"], printed["grade"]["zh"]) == ("97.98", "优")
    leaves = {leaf["id"]: (leaf["weight"], leaf["score"]) for leaf in printed["leaves"]}
    assert leaves["output_r2"] == ("12.5", "11.48") and leaves["output_r4"] == ("12.5", "11.88")
    assert leaves["satisfaction_r8"] == ("10", "10.00") and leaves["budget_execution_rate"] == ("10", "9.63")
    # docs/scoring.md tells the same numbers under the heading the help points to.
    docs = (ROOT / "docs/scoring.md").read_text(encoding="utf-8")
    assert "## 12. Scoring from the command line" in docs and "**97.98, 优**" in docs


def test_the_help_points_to_a_section_that_exists(runner):
    result = runner.invoke(args=["score", "--help"])
    assert result.exit_code == 0
    assert "--goal" in result.output and "--goal-definition" in result.output
    pointed = re.search(r'docs/scoring\.md, "([^"]+)"', " ".join(result.output.split()))
    assert pointed is not None, result.output
    headings = [line.lstrip("#").strip() for line in (ROOT / "docs/scoring.md").read_text(encoding="utf-8")
                .splitlines() if line.startswith("#")]
    assert any(h.endswith(pointed.group(1)) for h in headings), (pointed.group(1), headings)


def test_the_cli_scores_like_the_app(app, client, runner, people, tmp_path):
    """The goal as the API returns it, scored offline, gives the app's own score leaf by leaf."""
    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    reviewer = people.user("reviewer", "reviewer", jurisdiction="boye")
    goal_doc = json.loads(GOAL.read_text(encoding="utf-8"))
    example = json.loads(SELF_EVALUATION.read_text(encoding="utf-8"))
    with app.app_context():
        project = Project(organization_id=org.id, name="劳模体检、劳模慰问、劳模津贴、劳模慰问金", year=2023,
                          budget=Decimal("8.83"))
        db.session.add(project)
        db.session.flush()
        goal = service.start_submission(project, "goal", db.session.merge(filer))
        data = service.initial_data(project, goal.definition)
        data["fields"].update(goal_doc["fields"])
        data.update({"milestones": goal_doc["milestones"], "indicators": goal_doc["indicators"]})
        assert service.save_draft(goal, data, db.session.merge(filer), None).problems == []
        service.apply_transition(goal, "submit", db.session.merge(filer))
        service.apply_transition(goal, "approve", db.session.merge(reviewer), comment="同意")
        evaluation = start_self_evaluation(project, db.session.merge(filer))
        scores = {leaf: dict(inputs) for leaf, inputs in evaluation.data["scores"].items()}
        for node in evaluation.data["scoring"]["nodes"]:
            for leaf in node.get("children") or ():
                if leaf.get("goal_row"):
                    scores.setdefault(leaf["id"], {})["actual"] = example["actuals"][leaf["goal_row"]]
        in_app = score_submission(evaluation, {"fields": example["fields"], "scores": scores}).as_dict()
        db.session.commit()
        project_id = project.id

    response = client.get(f"/api/v1/projects/{project_id}/submissions/goal", headers=auth(issue_token(app, "filer_a")))
    assert response.status_code == 200
    downloaded = tmp_path / "goal.json"
    downloaded.write_text(json.dumps(response.get_json(), ensure_ascii=False), encoding="utf-8")
    result = _score(runner, "--data", SELF_EVALUATION, "--goal", downloaded, "--goal-definition", BOYE_GOAL_DEFINITION)
    assert result.exit_code == 0, result.output
    offline = json.loads(result.stdout)
    assert [(leaf["id"], leaf["weight"], leaf["score"]) for leaf in offline["leaves"]] == \
        [(leaf["id"], leaf["weight"], leaf["score"]) for leaf in in_app["leaves"]]
    assert (offline["total"], offline["grade"]) == (in_app["total"], in_app["grade"]) == ("97.98", offline["grade"])


def test_without_the_goal_the_command_says_to_pass_it(runner):
    result = _score(runner, "--data", SELF_EVALUATION)
    assert result.exit_code == 1
    assert "from_goal" in result.output and "--goal goal.json" in result.output
    assert "Scoring from the command line" in result.output


def test_a_goal_that_cannot_fill_a_group_is_refused_naming_the_goal(runner, tmp_path):
    goal = json.loads(GOAL.read_text(encoding="utf-8"))
    goal["indicators"] = [row for row in goal["indicators"] if row["level1"] != "satisfaction"]
    path = tmp_path / "no_satisfaction.json"
    path.write_text(json.dumps(goal, ensure_ascii=False), encoding="utf-8")
    result = _score(runner, "--data", SELF_EVALUATION, "--goal", path, "--goal-definition", BOYE_GOAL_DEFINITION)
    assert result.exit_code == 1
    assert f"{path}: scoring.nodes[2]:" in result.stderr and "满意度指标" in result.stderr
    assert not result.stdout.strip()


def test_a_goal_file_of_another_shape_is_refused(runner, tmp_path):
    path = tmp_path / "goal.json"
    path.write_text(json.dumps({"rows": []}), encoding="utf-8")
    result = _score(runner, "--data", SELF_EVALUATION, "--goal", path)
    assert result.exit_code == 1 and f"{path}: expected the goal form's data" in result.stderr
    result = _score(runner, "--data", SELF_EVALUATION, "--goal", GOAL, "--goal-definition", DEFAULT_SELF_EVALUATION)
    assert result.exit_code == 1 and "not a goal form" in result.output
