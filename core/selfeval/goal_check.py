"""A goal form must be able to become its self-evaluation (issue 14).

The self-evaluation's scoring tree is instantiated from the approved goal's rows
(``from_goal`` nodes, core/scoring/from_goal.py). A goal without a row under a scored
category, or whose row weights do not add up to the category's weight, cannot be
evaluated at year end; it is refused when the goal is saved, submitted and approved
(the workflow's one check), with the message at the indicator table, not discovered
as an error when the self-evaluation is opened months later.

Registered like a plugin (core.plugins.DEFAULT_PLUGINS), through ``validate_submission``.
"""
from __future__ import annotations

from flask_babel import gettext

from core.definitions.errors import DefinitionInvalid, Problem
from core.hooks import hookimpl

KIND = "self_evaluation"


def _uses_goal(nodes) -> bool:
    return any(isinstance(n, dict) and (n.get("from_goal") or _uses_goal(n.get("children") or [])) for n in nodes)


def instantiation_problems(scoring: dict, goal_definition: dict, goal_data: dict) -> list[Problem]:
    """Why a self-evaluation with ``scoring`` cannot be made from this goal (empty: it can)."""
    from core.plugins import scoring_registry
    from core.scoring import instantiate_from_goal, load_scoring

    if not _uses_goal(scoring.get("nodes") or []):
        return []
    try:
        load_scoring(instantiate_from_goal(scoring, goal_definition, goal_data), scoring_registry())
    except DefinitionInvalid as invalid:
        return [Problem("indicators", problem.message, problem.code) for problem in invalid.problems]
    return []


@hookimpl
def validate_submission(definition, data, project, jurisdiction):
    """A goal form's rows must instantiate the jurisdiction's self-evaluation."""
    if definition.kind != "goal" or jurisdiction is None:
        return []
    from core.workflow.service import latest_published

    target = latest_published(jurisdiction.id, KIND)
    if target is None:
        return []
    problems = instantiation_problems(target.body.get("scoring") or {}, definition.raw, data)
    hint = gettext("（年终自评表按本表的指标行生成评分指标）")
    return [Problem(p.path, p.message + hint, p.code) for p in problems]
