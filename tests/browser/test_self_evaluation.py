"""The Futian self-evaluation in the browser: live scores as the filer types."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_goal_form import log_in
from tests.selfeval.test_selfeval_flow import CHECKLISTS, FUTIAN_FIELDS, approved_goal_project

pytestmark = pytest.mark.browser


def test_live_scoring_reaches_95(app, page, live_server, people, screenshot):
    with app.app_context():
        project_id = approved_goal_project(people, "futian", "福田区总工会", "futian_2022.json", 0).id
    log_in(page, live_server, "futian_filer")
    page.goto(f"{live_server}/projects/{project_id}/forms/self_evaluation")
    for field, value in FUTIAN_FIELDS.items():
        page.fill(f"#f_{field}", value)
    for leaf in CHECKLISTS:
        for box in page.locator(f"input[name='s:{leaf}:checked']").all():
            box.check()
    page.select_option("select[name='s:timeliness:tier']", "achieved")
    page.select_option("select[name='s:social_benefit:tier']", "achieved")
    # Every suggestion accepted: 20 + 20 + (11.875 + 6 + 6 + 6) + (15 + 14.3085) = 99.1835 → 99.18.
    expect(page.locator("#score-total")).to_have_text("99.18")
    assert page.locator("td.suggested[data-leaf='completion_rate']").inner_text() == "11.88"
    # The evaluator's 11 (99.1835 − 0.875 = 98.3085) needs a reason: the live check says so.
    page.fill("input[name='s:completion_rate:final']", "11")
    expect(page.locator("ul.leaf-problems[data-leaf='completion_rate']")).to_contain_text("理由")
    expect(page.locator("#score-total")).to_have_text("99.18")  # a refused final is not used
    page.fill("input[name='s:completion_rate:reason']", "目标值只设上限，酌情扣分")
    expect(page.locator("#score-total")).to_have_text("98.31")
    screenshot("self-evaluation-futian")
    page.locator("#leaf-completion_rate").scroll_into_view_if_needed()
    screenshot("self-evaluation-futian-output", full_page=False)  # the viewport at the output rows
