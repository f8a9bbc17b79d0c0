"""Two requests opening a project's new goal form at the same moment (two tabs, a
double click): one form is created and both requests get it — no unique-constraint
error reaches the user."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEvent, Project, Submission, User
from core.workflow import service
from tests.concurrency.helpers import BOYE_ORG, run_together


def opener(project_id: int, user_id: int):
    def work(barrier):
        project = db.session.get(Project, project_id)
        actor = db.session.get(User, user_id)
        project.submissions  # noqa: B018 - both see "no goal form yet"
        project.organization.jurisdiction  # noqa: B018
        barrier.wait()
        submission = service.start_submission(project, "goal", actor)
        db.session.commit()
        return submission.id
    return work


@pytest.mark.parametrize("repetition", range(8))
def test_one_form_is_created_and_both_get_it(app, people, repetition):
    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    project = Project(organization=org, name=f"同时打开 {repetition}", year=2023, budget=Decimal("8.83"))
    db.session.add(project)
    db.session.commit()
    project_id, filer_id = project.id, filer.id

    outcomes = run_together(app, opener(project_id, filer_id), opener(project_id, filer_id))

    assert [o.error for o in outcomes] == [None, None], [repr(o.error) for o in outcomes]
    ids = {o.value for o in outcomes}
    assert len(ids) == 1
    assert db.session.scalar(select(func.count()).select_from(Submission)
                             .where(Submission.project_id == project_id)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "submission.create", AuditEvent.object_id == ids.pop())) == 1
