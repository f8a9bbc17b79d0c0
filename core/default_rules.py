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
