"""The scoring engine: rule types, the scoring tree, totals with caps, grades.

Pure Python (no Flask, no database, no pluggy). Typical use::

    tree = load_scoring(definition["scoring"], registry)    # once per definition version
    result = score(tree, inputs, fields=form_fields, hooks=bind_hooks(pm.hook, jurisdiction=j))
    result.total, result.grade, result.problems

See ``docs/scoring.md`` for the JSON format and every rule type.
"""
from core.scoring.engine import LeafScore, ScoreResult, bind_hooks, score, score_leaf
from core.scoring.from_goal import instantiate_from_goal
from core.scoring.grades import DEFAULT_GRADES, GradeBand, grade_for
from core.scoring.registry import Band, DuplicateRuleType, Registry, RuleResult, RuleType
from core.scoring.rules import RULES, build_registry, default_registry, register
from core.scoring.schema import validate_scoring
from core.scoring.tree import Node, ScoringTree, load_scoring
from core.scoring.values import display

__all__ = [
    "Band", "DEFAULT_GRADES", "DuplicateRuleType", "GradeBand", "LeafScore", "Node", "RULES", "Registry",
    "RuleResult", "RuleType", "ScoreResult", "ScoringTree", "bind_hooks", "build_registry",
    "default_registry", "display", "grade_for", "instantiate_from_goal", "load_scoring", "register",
    "score", "score_leaf", "validate_scoring",
]
