"""One populated jurisdiction for the access matrix: every kind of object a URL can
name, all belonging to organization A of Boye, and one person per role.

Built with the services the views use (the workflow, monitoring, suspension,
rectification and survey services), so the objects are in the states the app
itself leaves them in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from core.extensions import db
from core.models import ApiToken, Assessment, FormDefinition, Job, Jurisdiction
from core.monitoring.service import start_report
from core.selfeval.start import start_self_evaluation
from core.workflow import rectification, suspension
from survey.catalog import templates_for
from survey.models import SurveyResponse
from survey.service import create_survey, publish
from tests.monitoring.helpers import BOYE_ORG, boye_project

#: Appears on every page that shows organization A's project; never on a page
#: shown to someone outside its scope (except the public disclosure pages, which
#: publish approved goals on purpose).
MARKER = "甲单位保密项目"
ORG_B = "博野县总工会女职工部"

#: The roles of the matrix, in the order its columns are printed.
ROLES = ("anonymous", "filer_a", "filer_b", "reviewer", "leader", "admin", "admin_other")


@dataclass
class World:
    """The URL arguments naming organization A's objects, and each role's API token."""

    arguments: dict = field(default_factory=dict)
    bearer: dict = field(default_factory=dict)


def build(people) -> World:
    org_a = people.organization("boye", BOYE_ORG)
    users = {
        "filer_a": people.user("filer_a", "filer", organization=org_a),
        "filer_b": people.user("filer_b", "filer", organization=people.organization("boye", ORG_B)),
        "reviewer": people.user("reviewer", "reviewer", jurisdiction="boye"),
        "leader": people.user("leader", "leader", jurisdiction="boye"),
        "admin": people.user("admin", "admin", jurisdiction="boye"),
        "admin_other": people.user("admin_other", "admin", jurisdiction="chongqing"),
    }
    filer, reviewer = users["filer_a"], users["reviewer"]
    project = boye_project(people, filer, reviewer, index=2, name=MARKER)
    goal = project.submission("goal")
    selfeval = start_self_evaluation(project, filer)
    report = start_report(project, project.year, "m06", filer)
    held = suspension.suspend(project, reviewer, "执行进度严重滞后")
    letter = rectification.issue_letter(project, reviewer, "反馈函", [
        rectification.NewItem("满意度调查未针对本项目", date.today() + timedelta(days=30))])

    template = templates_for(project.organization.jurisdiction)[0]
    survey = create_survey(project, template, filer, min_seconds=0)
    publish(survey, filer)
    db.session.commit()
    response = SurveyResponse(survey_id=survey.id, answers={}, submitted_at=datetime.now(timezone.utc),
                              invalid_reason="", excluded=False)
    db.session.add(response)

    # Boye assesses a town union below it as Shijiazhuang assesses its counties, on the
    # same 附件三 sheet published as Boye's own; the town has sent its self scores.
    boye = people.jurisdiction("boye")
    city_sheet = db.session.scalar(select(FormDefinition).where(FormDefinition.kind == "assessment"))
    town = Jurisdiction(code="zz_town", name_zh="某乡镇工会", parent=boye)
    sheet = FormDefinition(jurisdiction=boye, kind="assessment", version=1, body=city_sheet.body,
                           published_at=datetime.now(timezone.utc))
    assessment = Assessment(assessor=boye, jurisdiction=town, year=2024, definition=sheet,
                            state="self_submitted", self_inputs={}, evidence={}, assessed_inputs={})
    db.session.add_all([town, sheet, assessment])

    job = Job(kind="projects_xlsx", params={}, user_id=filer.id, state="done", result_path="absent.xlsx",
              result_name="项目.xlsx")
    db.session.add(job)

    world = World()
    for role, user in users.items():
        token, secret = ApiToken.issue(user, "矩阵")
        db.session.add(token)
        world.bearer[role] = secret
        if role == "filer_a":
            own_token = token
    db.session.commit()
    definition = db.session.scalar(select(FormDefinition.id).where(
        FormDefinition.jurisdiction_id == boye.id, FormDefinition.kind == "goal",
        FormDefinition.published_at.is_not(None)))
    world.arguments = {
        "project_id": project.id, "submission_id": goal.id, "revision_id": goal.revisions[0].id,
        "report_id": report.id, "suspension_id": held.id, "letter_id": letter.id,
        "item_id": letter.items[0].id, "survey_id": survey.id, "response_id": response.id,
        "slug": survey.slug, "assessment_id": assessment.id, "token_id": own_token.id,
        "definition_id": definition, "code": "boye", "kind": "goal", "version": 1,
        "year": project.year, "assessor_id": boye.id, "jurisdiction_id": town.id, "round_id": "m06", "action": "exclude", "filename": "app.css",
        "job_id": job.id, "row_id": "r1",
    }
    assert selfeval.id
    return world
