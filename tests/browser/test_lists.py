"""The staff lists in a browser, at 1366 px and on a 375 px phone: paged on the server,
filters kept in the URL, an export that runs in the background and ends in a download."""
from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_goal_form import log_in
from tests.scale.test_query_counts import YEAR, province  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "zh-CN"}


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(params=["desktop", "phone"])
def screen(request, browser):
    context = browser.new_context(**(DESKTOP if request.param == "desktop" else PHONE))
    page = context.new_page()
    yield request.param, page
    context.close()


def test_project_list_pages_filters_and_exports(live_server, province, screen):
    size, page = screen
    province(60)
    log_in(page, live_server, "reviewer")
    page.goto(f"{live_server}/")
    assert page.locator("table.grid tbody tr").count() == 50
    assert "第 1–50 条，共 60 条" in page.locator(".pager").inner_text()
    # The page itself never scrolls sideways; a wide table scrolls in its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
    shot(page, f"lists-projects-{size}")
    page.click(".pager a[rel=next]")
    assert page.locator("table.grid tbody tr").count() == 10 and "page=2" in page.url
    page.fill("#f-q", "（1")  # copies 1, 10–19
    page.click("form.filters button[type=submit]")
    assert "q=" in page.url and page.locator("table.grid tbody tr").count() == 11
    shot(page, f"lists-projects-searched-{size}")
    page.click("form.export button")
    page.wait_for_selector("text=已完成")
    assert page.locator("a.button.primary:has-text('.xlsx')").count() == 1
    shot(page, f"lists-export-done-{size}")


def test_monitoring_table_on_both_screens(live_server, province, screen):
    size, page = screen
    province(12)
    log_in(page, live_server, "reviewer")
    page.goto(f"{live_server}/monitoring/?year={YEAR}&round=m06")
    assert page.locator("table.monitoring-table tbody tr").count() == 12
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
    shot(page, f"lists-monitoring-{size}")
    page.goto(f"{live_server}/rectification/")
    shot(page, f"lists-rectification-{size}")
    page.goto(f"{live_server}/review/?state=approved")
    assert page.locator("table.grid tbody tr").count() == 12 + 3  # the goals and copies 3, 6, 9's evaluations
    shot(page, f"lists-review-{size}")
