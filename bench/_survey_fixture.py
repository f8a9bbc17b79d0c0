"""The one survey both survey benchmarks measure: Futian's retiree project, open survey."""
from __future__ import annotations

from decimal import Decimal


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
