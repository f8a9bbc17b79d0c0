"""The ``monitoring_alerts`` hook: every plugin adds messages; the defaults are a plugin too."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.hooks import hookimpl
from core.monitoring import service
from core.monitoring.alerts import default_alerts
from core.monitoring.lights import evaluate
from core.monitoring.settings import monitoring_settings

from .helpers import BOYE_ORG, boye_project, rows_by_name


@pytest.fixture
def register_plugin(app):
    pm = app.extensions["perfforms.plugins"]
    registered = []

    def register(plugin):
        pm.register(plugin)
        registered.append(plugin)
        return plugin

    yield register
    for plugin in registered:
        pm.unregister(plugin)


@pytest.fixture
def project3(people):
    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    reviewer = people.user("reviewer", "reviewer", jurisdiction="boye")
    return boye_project(people, filer, reviewer, index=2), filer


FULL = {"总人数": "100%", "省部级劳模满意率": "98%", "工作任务完成及时率": "98%", "人均体检费": "200",
        "发扬劳模精神带头作用": "98%", "劳模体检慰问产生影响": "98%", "保障劳模身体健康": "98%", "服务对象满意度指标": "89%"}


def _data(project, executed="4.00"):
    rows = rows_by_name(project)
    return {"fields": {"annual_budget": "8.83", "executed": executed, "implementation": "按计划实施"},
            "indicators": {rows[name]: {"actual": actual} for name, actual in FULL.items()}}


def test_a_plugin_adds_alerts_and_receives_project_round_and_lights(app, project3, register_plugin):
    seen = []

    class SatisfactionWatch:
        """A jurisdiction's own rule: satisfaction below 90% at any round."""

        @hookimpl
        def monitoring_alerts(self, project, round, lights):
            seen.append((project.name, round.id, round.month, round.year, lights.light))
            low = [i for i in lights.indicators if "满意度" in i.name and i.actual_value is not None
                   and i.actual_value < 90]
            return [f"「{i.name}」仅 {i.actual}，低于 90%" for i in low]

    register_plugin(SatisfactionWatch())
    project, filer = project3
    report = service.start_report(project, 2023, "aug", filer)
    lights, problems = service.save_report(report, _data(project), filer)
    assert seen == [("劳模体检、劳模慰问、劳模津贴、劳模慰问金", "aug", 7, 2023, lights.light)]
    assert {"zh": "「服务对象满意度指标」仅 89%，低于 90%"} in report.alerts
    assert problems == []


def test_default_alerts_key_projects_and_over_performance():
    settings = monitoring_settings({"kind": "monitoring", "monitoring": {
        "key_projects": {"min_budget": 200, "below_rate": 60, "from_month": 7}}})
    row = {"id": "r1", "name": "节日慰问次数", "target": "三次", "level1": "output", "level2": "quantity"}
    # Futian, 258.90 万元, 120.00 executed by the end of July (46.35%); two visits of three.
    lights = evaluate([row], {"r1": {"actual": "3"}}, {"annual_budget": "258.90", "executed": "120.00"}, [], 7,
                      settings)
    alerts = default_alerts(settings.round("aug", 2022) or settings.rounds[1].in_year(2022), lights)
    assert [a["zh"] for a in alerts] == [
        "重点监控：预算 258.90 不低于 200，截至8月集中监控（1—7月）执行率 46.35% 低于 60%",
        "「节日慰问次数」完成进度 171.43%，明显超过序时进度，请核实指标值 三次 是否偏低",
    ]
    # Not at the June round (from_month 7), not for a small project.
    june = settings.rounds[0].in_year(2022)
    assert [a["zh"][:4] for a in default_alerts(june, lights)] == ["「节日慰"]
    small = evaluate([row], {"r1": {"actual": "1"}}, {"annual_budget": "8.83", "executed": "1"}, [], 7, settings)
    assert default_alerts(settings.rounds[1], small) == []


def test_default_alerts_come_through_the_hook(app, project3):
    project, filer = project3
    report = service.start_report(project, 2023, "aug", filer)
    data = _data(project)
    rows = rows_by_name(project)
    data["indicators"][rows["人均体检费"]] = {"actual": "260"}  # a level: 130% of 200 → blue
    service.save_report(report, data, filer)
    assert any("人均体检费" in a["zh"] and "核实指标值" in a["zh"] for a in report.alerts)
    assert Decimal(report.lights["budget"]["execution_rate"]).quantize(Decimal("0.01")) == Decimal("45.30")
