"""The survey module's hook implementations: it reaches core only through hooks.

Registered through the ``perfforms`` entry point, like any plugin.
"""
from __future__ import annotations

from flask import url_for

from core.hooks import hookimpl
from survey.results import satisfaction_result, survey_for_indicator


@hookimpl
def indicator_evidence(project, row):
    """A closed survey linked to the row gives its satisfaction index as the actual value."""
    survey = survey_for_indicator(project, row.get("id"))
    if survey is None or survey.status != "closed":
        return None
    result = satisfaction_result(survey)
    if result.percent is None:
        return None
    interval = (f"，95% 置信区间 {result.ci_low}%–{result.ci_high}%"
                if result.ci_low is not None and result.ci_high is not None else "")
    return {
        "actual": f"{result.percent}%",
        "note": f"满意度调查「{survey.title}」：有效问卷 {result.valid} 份，无效 {result.invalid} 份{interval}",
        "url": url_for("survey_owner.results", project_id=project.id, survey_id=survey.id),
    }
