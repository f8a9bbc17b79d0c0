"""The default plugin: behaviour every jurisdiction gets unless a plugin overrides it.

Registered like any other plugin (see ``core.plugins.DEFAULT_PLUGINS``); the
"pick one answer" defaults are ``trylast`` so jurisdiction plugins come first.
"""
from __future__ import annotations

from decimal import Decimal

from core.hooks import hookimpl
from core.quality.rules import BUILTIN_RULES

# Changzhi §27 and the central default: lower bounds inclusive.
DEFAULT_GRADE_BANDS = (
    {"min": 90, "label": {"zh": "优", "en": "Excellent"}},
    {"min": 80, "label": {"zh": "良", "en": "Good"}},
    {"min": 60, "label": {"zh": "中", "en": "Fair"}},
    {"min": 0, "label": {"zh": "差", "en": "Poor"}},
)


@hookimpl
def register_quality_rules():
    return list(BUILTIN_RULES)


@hookimpl(trylast=True)
def grade(total, bands, jurisdiction):
    for band in sorted(bands or DEFAULT_GRADE_BANDS, key=lambda b: Decimal(str(b["min"])), reverse=True):
        if Decimal(total) >= Decimal(str(band["min"])):
            return band["label"]
    return None


@hookimpl(trylast=True)
def satisfaction_index(survey, definition, answers_summary):
    """Weights from the definition; index = weighted mean of the item scores (DOMAIN.md §8)."""
    weights = answers_summary.definition_weights()
    return {"index": answers_summary.weighted_index(weights), "weights": weights}


@hookimpl
def validate_submission(definition, data, project, jurisdiction):
    """The ex-ante gate: where the pack sets ``workflow.require_ex_ante``, a goal form in
    the pack's ``workflow.ex_ante_scope`` (new projects, and those at or above its budget
    threshold) needs an approved ex-ante assessment (Changzhi §14, Chongqing 四（一）)."""
    from core.i18n import current_lang
    from core.workflow.ex_ante import ex_ante_problems

    return ex_ante_problems(definition, project, jurisdiction, current_lang(), data=data)


@hookimpl
def monitoring_alerts(project, round, lights):
    """Key projects behind schedule and over-performing (blue) indicators."""
    from core.monitoring.alerts import default_alerts

    return default_alerts(round, lights)
