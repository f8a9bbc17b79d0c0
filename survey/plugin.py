"""The survey module's hook implementations: it reaches core only through hooks.

Registered through the ``perfforms`` entry point, like any plugin.
"""
from __future__ import annotations

from flask import url_for

from core.hooks import hookimpl
from survey.results import satisfaction_result, survey_for_indicator

# The self-evaluation fields a satisfaction survey fills when the form has them: the
# rate a fixed scoring tree reads (Futian's and Shijiazhuang's 服务对象满意度 leaf) and
# the number of valid questionnaires printed next to it.
SATISFACTION_FIELDS = ("satisfaction_rate", "valid_questionnaires")


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
        "fields": dict(zip(SATISFACTION_FIELDS, (str(result.percent), str(result.valid)))),
        "source": {"survey_id": survey.id, "title": survey.title, "valid": result.valid,
                   "ci_low": None if result.ci_low is None else str(result.ci_low),
                   "ci_high": None if result.ci_high is None else str(result.ci_high),
                   "closed_at": survey.closed_at.isoformat() if survey.closed_at else None},
        "note": f"满意度调查「{survey.title}」：有效问卷 {result.valid} 份，无效 {result.invalid} 份{interval}",
        "url": url_for("survey_owner.results", project_id=project.id, survey_id=survey.id),
    }
