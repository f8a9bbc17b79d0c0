"""The ``satisfaction_index`` hook: the default weights, and a jurisdiction's own."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.hooks import hookimpl
from survey import satisfaction_result
from survey.index import AnswersSummary, ItemSummary
from tests.survey.test_owner import fill


@pytest.fixture
def register_plugin(app):
    pm = app.extensions["perfforms.plugins"]
    registered = []

    def register(plugin):
        pm.register(plugin)
        registered.append(plugin)

    yield register
    for plugin in registered:
        pm.unregister(plugin)


class OverallCountsHalf:
    """A jurisdiction rule: the overall question is half the index, the statements share the rest."""

    @hookimpl
    def satisfaction_index(self, survey, definition, answers_summary):
        if survey.project.jurisdiction.code != "futian":
            return None
        weights = {item.key: Decimal(5) if item.key == "overall" else Decimal(1) for item in answers_summary.items}
        return {"index": answers_summary.weighted_index(weights), "weights": weights}


def test_default_takes_the_weights_from_the_definition(app):
    hook = app.extensions["perfforms.plugins"].hook
    summary = AnswersSummary(4, (ItemSummary("a", "a", "", Decimal(1), 4, Decimal(80)),
                                 ItemSummary("b", "b", "", Decimal(3), 4, Decimal(60))))
    # (1·80 + 3·60) / 4 = 65.00
    assert hook.satisfaction_index(survey=None, definition=None, answers_summary=summary) == \
        {"index": Decimal("65.00"), "weights": {"a": Decimal(1), "b": Decimal(3)}}


def test_a_plugin_reweighs_the_index_and_its_interval(app, futian, register_plugin):
    survey = futian.survey()
    fill(survey)
    default = satisfaction_result(survey)
    assert default.percent == Decimal("83.81")  # definition weights: statements 1, overall 2
    register_plugin(OverallCountsHalf())
    result = satisfaction_result(survey)
    # statements 93.33 + 86.67 + 86.67 + 66.67 + 93.33 = 426.67; overall 80 × 5 = 400 → 826.67 / 10 = 82.67
    assert result.percent == Decimal("82.67")
    # respondents with the same weights: 82, 68, 98 → s = 15.011; half = 4.303 × 15.011 / √3 = 37.29
    # → 82.67 − 37.29 = 45.38; the top is clipped to 100
    assert (result.ci_low, result.ci_high) == (Decimal("45.38"), Decimal("100.00"))


def test_a_plugin_without_an_opinion_leaves_the_default(app, people, register_plugin):
    hook = app.extensions["perfforms.plugins"].hook
    register_plugin(OverallCountsHalf())

    class Survey:  # another jurisdiction's survey
        class project:
            class jurisdiction:
                code = "boye"

    summary = AnswersSummary(1, (ItemSummary("overall", "overall", "", Decimal(2), 1, Decimal(100)),
                                 ItemSummary("q.a", "q", "a", Decimal(1), 1, Decimal(70))))
    # (2·100 + 1·70) / 3 = 90.00
    assert hook.satisfaction_index(survey=Survey, definition=None, answers_summary=summary)["index"] == Decimal("90.00")
