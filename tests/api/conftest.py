from __future__ import annotations

import pytest

from tests.api.helpers import boye_people, issue_token
from tests.scoring.id_scan import scan_scoring_messages  # noqa: F401 - scoring messages name no id


@pytest.fixture
def boye(people):
    return boye_people(people)


@pytest.fixture
def tokens(app, boye):
    """One API token per user of the ``boye`` fixture, by username."""
    names = ("filer_a", "filer_b", "reviewer", "leader", "futian_filer", "futian_reviewer", "boye_admin")
    return {name: issue_token(app, name) for name in names}
