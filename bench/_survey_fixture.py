"""The one survey the survey benchmarks measure: Futian's retiree project, open survey
(and, for the stress test's refusals, an invitation-mode survey of the same project)."""
from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

#: One complete questionnaire for futian/retirees as the form posts it (final submit):
#: 11 answer rows per response (5 matrix statements, 2 channels, 4 single answers).
ANSWERS = [("q-received", "3"), ("q-age", "70"), ("q-payment-timely", "5"), ("q-payment-amount", "4"),
           ("q-payment-convenient", "5"), ("q-payment-informed", "3"), ("q-payment-staff", "4"),
           ("q-overall", "4"), ("q-channel", "unit"), ("q-channel", "wechat"),
           ("q-suggestion", "希望重阳节慰问金早一点到账"), ("page", "2"), ("action", "submit")]
ANSWER_ROWS = 11


@contextmanager
def fresh_database(url: str, secret: str):
    """An app on ``url`` with every table dropped and created again, inside its app
    context (rate limits off, as in the benchmarks); the engine is disposed afterwards,
    so no connection is inherited by gunicorn's workers."""
    from core.app import create_app
    from core.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def create_futian_survey():
    """Inside an app context with an empty schema: store the packs, Futian's project with its
    satisfaction row, and an open ``futian/retirees`` survey. Returns ``(survey, project)``."""
    import sqlalchemy as sa

    from core.extensions import db
    from core.jurisdictions import sync_builtin_packs
    from core.models import Jurisdiction, Membership, Organization, Project, User
    from core.plugins import plugin_manager
    from core.workflow.service import start_submission
    from survey.catalog import find_template
    from survey.service import create_survey, publish

    sync_builtin_packs(plugin_manager())
    futian = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "futian"))
    org = Organization(jurisdiction=futian, name="深圳市福田区总工会")
    user = User(username="bench_filer", display_name="bench")
    user.set_password("bench-pass")
    user.memberships.append(Membership(role="filer", organization=org))
    project = Project(organization=org, name="区退休职工管理", year=2022, budget=Decimal("258.90"))
    db.session.add_all([org, user, project])
    db.session.commit()
    goal = start_submission(project, "goal", user)
    goal.data = {"fields": {}, "milestones": {}, "indicators": [
        {"id": "r7", "level1": "satisfaction", "level2": "beneficiary", "name": "区退休职工对工会工作的满意度",
         "description": "", "target": "> 80%", "basis": "调查问卷"}]}
    survey = create_survey(project, find_template(futian, "futian/retirees"), user, indicator_row_id="r7",
                           min_seconds=0)
    publish(survey, user)
    db.session.commit()
    return survey, project


def create_invitation_survey(open_survey, codes: int):
    """A second survey of ``open_survey``'s project (same questionnaire and owner), open
    in invitation mode with ``codes`` one-time codes; returns ``(survey, codes)`` (committed)."""
    from core.extensions import db
    from survey.catalog import find_template
    from survey.service import create_invitations, create_survey, publish

    project, owner = open_survey.project, open_survey.created_by
    survey = create_survey(project, find_template(project.jurisdiction, "futian/retirees"), owner,
                           indicator_row_id="r7", mode="invitation", min_seconds=0)
    publish(survey, owner)
    issued = create_invitations(survey, codes, owner)
    db.session.commit()
    return survey, issued
