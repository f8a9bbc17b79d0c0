"""Scoring trees are compiled once per application and shared by every page that scores."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

import core.plugins
from core.extensions import db
from core.hooks import hookimpl
from core.models import Jurisdiction, Submission
from core.plugins import TREES_KEY, compiled_scoring
from core.scoring import RuleResult, RuleType, load_scoring
from core.selfeval.scoring import load_tree, registry, score_submission, scoring_of, tree_key
from tests.conftest import login
from tests.plugins.test_hooks import register_plugin  # noqa: F401  (fixture)
from tests.scoring.helpers import definition
from tests.selfeval.test_selfeval_flow import approved_goal_project, futian, futian_post  # noqa: F401  (fixture)

FUTIAN = definition("form_definitions/futian/self_evaluation.json")["scoring"]


@pytest.fixture
def builds(monkeypatch):
    """Every scoring tree the application builds (the cache's builder, counted)."""
    built = []

    def counting(scoring, registry=None):
        built.append(scoring)
        return load_scoring(scoring, registry)

    monkeypatch.setattr(core.plugins, "load_scoring", counting)
    return built


def self_evaluation(project_id: int) -> Submission:
    return db.session.scalar(select(Submission).where(Submission.project_id == project_id,
                                                      Submission.kind == "self_evaluation"))


def test_the_same_section_gets_the_same_tree_and_a_changed_one_another(app, builds):
    with app.app_context():
        tree = compiled_scoring(FUTIAN)
        assert compiled_scoring(copy.deepcopy(FUTIAN)) is tree
        changed = copy.deepcopy(FUTIAN)
        changed["grades"] = [{"min": 95, "label": {"zh": "优"}}, {"min": 0, "label": {"zh": "其他"}}]
        other = compiled_scoring(changed)
        assert other is not tree and other.grades[0].min == 95
        assert compiled_scoring(changed) is other
    assert len(builds) == 2
    with app.app_context():  # a new context of the same application keeps its trees
        assert compiled_scoring(FUTIAN) is tree
    assert len(builds) == 2


def test_each_application_has_its_own_trees_and_none_outside_one(app, builds):
    with app.app_context():
        ours = compiled_scoring(FUTIAN)
        assert len(app.extensions[TREES_KEY]) == 1
    outside = compiled_scoring(FUTIAN)
    assert outside is not ours and compiled_scoring(FUTIAN) is not outside  # built every time
    assert len(builds) == 3


def test_a_plugin_registered_at_run_time_gets_trees_built_with_its_rule_types(app, register_plugin):
    with app.app_context():
        before = compiled_scoring(FUTIAN)

    class Plugin:
        @hookimpl
        def register_scoring_rules(self):
            return [RuleType("half_marks", lambda leaf, inputs: RuleResult(leaf.weight / 2))]

    register_plugin(Plugin())
    with app.app_context():
        after = compiled_scoring(FUTIAN)
        assert after is not before and compiled_scoring(FUTIAN) is after


def test_a_published_definition_is_compiled_once_across_requests(app, client, futian, builds):
    login(client, "futian_filer")
    url = f"/projects/{futian}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    for _ in range(3):
        assert client.get(url).status_code == 200
        assert client.post(f"{url}/score", data=futian_post(html)).get_json()["total"] == "95.00"
    assert client.post(url, data=futian_post(html)).status_code == 302  # saved (scored on save too)
    assert client.get(url).status_code == 200
    assert len(builds) == 1
    with app.app_context():
        submission = self_evaluation(futian)
        # Futian's 17 leaves are fixed: the stored copy is the definition's, keyed by the definition.
        assert tree_key(submission, scoring_of(submission))[:2] == ("definition", submission.definition_id)


def test_a_section_instantiated_from_the_goal_is_keyed_by_its_content(app, client, people, builds):
    project = approved_goal_project(people, "boye", "711001 博野县总工会本级", "boye_2023.json", 2)
    login(client, "boye_filer")
    url = f"/projects/{project.id}/forms/self_evaluation"
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert len(builds) == 1
    with app.app_context():
        submission = self_evaluation(project.id)
        assert tree_key(submission, scoring_of(submission)) is None
        tree = load_tree(submission)
        assert len(tree.leaves) == 9
        # Another goal's rows make another section, and another tree.
        changed = copy.deepcopy(submission.data)
        changed["scoring"]["nodes"][0]["children"][0]["rule"]["target"] = "≥99%"
        submission.data = changed
        assert load_tree(submission) is not tree
        db.session.rollback()
        assert load_tree(self_evaluation(project.id)) is tree
    assert len(builds) == 2


def test_new_grade_bands_of_the_jurisdiction_give_a_new_tree(app, client, people):
    project = approved_goal_project(people, "boye", "711001 博野县总工会本级", "boye_2023.json", 2)
    login(client, "boye_filer")
    assert client.get(f"/projects/{project.id}/forms/self_evaluation").status_code == 200
    with app.app_context():
        submission = self_evaluation(project.id)
        assert "grades" not in submission.data["scoring"]  # the national default takes the jurisdiction's bands
        tree = load_tree(submission)
        jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye"))
        jurisdiction.settings = {**(jurisdiction.settings or {}), "grade_bands": [
            {"min": 96, "label": {"zh": "优"}}, {"min": 0, "label": {"zh": "良"}}]}
        db.session.flush()
        banded = load_tree(submission)
        assert banded is not tree and banded.grades[0].min == 96
        assert load_tree(submission) is banded


def test_futian_scores_identically_with_and_without_the_cache(app, client, futian):
    login(client, "futian_filer")
    url = f"/projects/{futian}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    assert client.post(url, data=futian_post(html)).status_code == 302
    with app.app_context():
        submission = self_evaluation(futian)
        uncached = score_submission(submission, tree=load_scoring(scoring_of(submission), registry()))
        cached = score_submission(submission)
        again = score_submission(submission)
        assert cached.as_dict() == uncached.as_dict() == again.as_dict()
        assert cached == uncached  # every leaf, Decimal for Decimal
        assert (str(cached.total), cached.grade["zh"]) == ("95", "优")
    live = [client.post(f"{url}/score", data=futian_post(html)).get_json() for _ in range(2)]
    assert live[0] == live[1] and live[0]["total"] == "95.00"


def test_an_assessment_sheet_is_compiled_once_and_follows_the_assessors_bands(app, people, builds):
    from core.assessment import service as assessments

    with app.app_context():
        sjz = people.jurisdiction("shijiazhuang")
        county = Jurisdiction(code="zhengding", name_zh="正定县总工会", parent=sjz)
        db.session.add(county)
        db.session.commit()
        actor = people.user("sjz_reviewer", "reviewer", jurisdiction="shijiazhuang")
        first = assessments.open_assessment(sjz, county, 2024, actor)
        db.session.commit()
        tree = assessments.tree_of(first)
        assert assessments.tree_of(first) is tree and len(builds) == 1
        sjz.settings = {**(sjz.settings or {}), "grade_bands": [{"min": 96, "label": {"zh": "优"}},
                                                               {"min": 0, "label": {"zh": "良"}}]}
        db.session.flush()
        banded = assessments.tree_of(first)
        assert banded is not tree and banded.grades[0].min == 96 and len(builds) == 2
