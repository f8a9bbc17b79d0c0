"""Beneficiary satisfaction surveys (服务对象满意度调查). See docs/surveys.md.

The two functions the rest of the platform needs are importable from here; they
import the survey modules lazily, so importing ``survey`` (as ``core.app`` does for
the models) never pulls in the views.
"""
from __future__ import annotations


def satisfaction_result(survey_or_project):
    """The satisfaction index of a survey, as a :class:`survey.results.SatisfactionResult`.

    Given a :class:`survey.models.Survey`, its result. Given a project (as the JSON
    API does), the result of the project's most relevant survey — the one linked
    to a satisfaction indicator row, else any; closed before open before draft —
    or ``None`` when the project has no survey.
    """
    from survey.models import Survey
    from survey.results import project_survey
    from survey.results import satisfaction_result as result_of

    if isinstance(survey_or_project, Survey):
        return result_of(survey_or_project)
    survey = project_survey(survey_or_project)
    return result_of(survey) if survey is not None else None


def survey_for_indicator(project, row_id: str):
    """The survey measuring goal indicator row ``row_id`` of ``project`` (closed first), or None."""
    from survey.results import survey_for_indicator as find

    return find(project, row_id)


__all__ = ["satisfaction_result", "survey_for_indicator"]
