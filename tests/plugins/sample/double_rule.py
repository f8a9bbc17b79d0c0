"""A plugin with its own scoring rule type: ``double``, twice the input ``value``."""
from core.hooks import hookimpl
from core.scoring import RuleResult, RuleType
from core.scoring.values import to_decimal


def score_double(leaf, inputs):
    """Twice the input ``value``, at most the weight."""
    return RuleResult(min(leaf.weight, to_decimal(inputs["value"]) * 2))


DOUBLE = RuleType("double", score_double, {"zh": "两倍", "en": "Twice the value"}, inputs=("value",))


@hookimpl
def register_scoring_rules():
    return [DOUBLE]
