"""A second plugin claiming the rule type id ``double``: start-up must refuse the pair."""
from core.hooks import hookimpl
from core.scoring import RuleResult, RuleType


@hookimpl
def register_scoring_rules():
    return [RuleType("double", lambda leaf, inputs: RuleResult(leaf.weight), {"zh": "另一个两倍"})]
