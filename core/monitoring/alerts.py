"""The default monitoring alerts (the ``monitoring_alerts`` hook of ``core.default_rules``).

Pure: reads only the objects the hook receives. Messages are label dicts.
"""
from __future__ import annotations

from core.monitoring.lights import ProjectLights, pct
from core.monitoring.settings import Round


def key_project_alert(round: Round, lights: ProjectLights) -> dict | None:
    """A large project executing below the rate gets key monitoring (重点监控, DOMAIN.md §8)."""
    rule = round.settings.key_projects if round.settings is not None else None
    budget = lights.budget
    if rule is None or round.month < rule.from_month or budget.budget is None or budget.execution_rate is None:
        return None
    if budget.budget >= rule.min_budget and budget.execution_rate < rule.below_rate:
        return {"zh": f"重点监控：预算 {budget.budget:f} 不低于 {rule.min_budget:f}，截至{round.label['zh']}"
                      f"执行率 {pct(budget.execution_rate)}% 低于 {rule.below_rate:f}%",
                "en": f"Key monitoring: budget {budget.budget:f} ≥ {rule.min_budget:f} and only "
                      f"{pct(budget.execution_rate)}% executed (below {rule.below_rate:f}%)"}
    return None


def over_performance_alerts(lights: ProjectLights) -> list[dict]:
    """One alert per blue indicator: far ahead of schedule, so the target may be too low."""
    return [{"zh": f"「{item.name}」完成进度 {pct(item.value)}%，明显超过序时进度，请核实指标值 {item.target} 是否偏低",
             "en": f"“{item.name}” is at {pct(item.value)}% of the pro-rata target: check whether the target "
                   f"{item.target} is too low"}
            for item in lights.indicators if item.light == "blue"]


def default_alerts(round: Round, lights: ProjectLights) -> list[dict]:
    alerts = [key_project_alert(round, lights)]
    return [a for a in alerts if a] + over_performance_alerts(lights)
