"""Goal-quality review (绩效目标质量审核): rules a reviewer applies to a filled goal form."""
from core.quality.rules import BUILTIN_RULES, Finding, QualityRule, review

__all__ = ["BUILTIN_RULES", "Finding", "QualityRule", "review"]
