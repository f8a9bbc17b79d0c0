"""A plugin registering a goal-quality rule whose id a built-in rule already has."""
from core.hooks import hookimpl
from core.quality.rules import BUILTIN_RULES


@hookimpl
def register_quality_rules():
    return [BUILTIN_RULES[0]]
