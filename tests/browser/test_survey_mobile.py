"""A retired worker answers the Futian survey on a small phone (375×667, touch, zh-CN)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.extensions import db
from survey.models import SurveyResponse
from tests.browser.conftest import ARTIFACTS
from tests.survey.conftest import Futian

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "zh-CN"}


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def go(page, button):
    """Tap a button that submits the form and wait for the next page."""
    with page.expect_navigation():
        page.tap(f"button:has-text('{button}')")


def check_phone_friendly(page):
    # nothing wider than the screen, print at least 16 px, options at least 48 px tall
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")) >= 18
    for box in page.locator("label.o span").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)"):
        assert box >= 48
    for width in page.locator("label.o span").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)"):
        assert width >= 300


def test_retiree_answers_on_a_phone(app, people, live_server, phone):
    futian = Futian(people)
    survey = futian.survey(min_seconds=0)
    page = phone
    page.goto(f"{live_server}/s/{survey.slug}")
    assert page.locator("h1").inner_text() == "区退休职工节日慰问项目满意度调查"
    assert page.locator(".step").inner_text() == "第 1 页，共 3 页"
    check_phone_friendly(page)
    shot(page, "survey-mobile-page1")

    page.tap("text=三次都收到了")
    page.tap("text=70–79岁")
    go(page, "下一页")
    assert page.locator(".step").inner_text() == "第 2 页，共 3 页"
    check_phone_friendly(page)
    levels = {"很满意": "5", "满意": "4", "基本满意": "3", "不太满意": "2", "不满意": "1"}
    for row, choice in (("timely", "很满意"), ("amount", "满意"), ("convenient", "很满意"),
                        ("informed", "基本满意"), ("staff", "满意")):
        option = page.locator(f"input[name='q-payment-{row}'][value='{levels[choice]}'] + span")
        assert option.inner_text() == choice
        option.tap()
    page.locator("input[name='q-overall'][value='4'] + span").tap()  # 满意
    shot(page, "survey-mobile-page2")
    go(page, "下一页")

    assert page.locator(".step").inner_text() == "第 3 页，共 3 页"
    page.tap("text=原单位通知")
    page.tap("text=微信群")
    page.fill("textarea", "希望重阳节慰问金早一点到账")
    shot(page, "survey-mobile-page3")
    go(page, "提交")

    assert page.locator("h1").inner_text() == "提交成功"
    assert "感谢您的参与" in page.locator(".msg").inner_text()
    shot(page, "survey-mobile-thanks")
    with app.app_context():
        [response] = db.session.scalars(select(SurveyResponse)).all()
        assert response.answers["overall"] == "4" and response.answers["channel"] == ["unit", "wechat"]
        assert response.answers["payment"] == {"timely": "5", "amount": "4", "convenient": "5", "informed": "3",
                                               "staff": "4"}
        assert not response.excluded

    # coming back to the link: refused politely
    page.goto(f"{live_server}/s/{survey.slug}")
    assert "您已经填写过这份问卷" in page.locator(".msg").inner_text()


def test_missing_answer_is_shown_on_the_phone(app, people, live_server, phone):
    futian = Futian(people)
    survey = futian.survey(min_seconds=0)
    page = phone
    page.goto(f"{live_server}/s/{survey.slug}")
    go(page, "下一页")
    assert page.locator(".note").inner_text().startswith("有 1 道题还没有答好")
    assert page.locator("fieldset.bad .err").inner_text() == "这道题还没有回答"
    shot(page, "survey-mobile-error")


def test_owner_sees_results_and_poster(app, people, live_server, page, screenshot):
    from tests.browser.test_goal_form import log_in
    from tests.survey.test_owner import ROWS, STRAIGHT, fill

    futian = Futian(people)
    survey = futian.survey(min_seconds=0)
    fill(survey, ROWS * 3)
    fill(survey, [STRAIGHT])
    log_in(page, live_server, "futian_a")
    page.goto(f"{live_server}/projects/{futian.project.id}/surveys/{survey.id}/results")
    assert page.locator("#index").inner_text() == "83.81%"
    assert page.locator("svg.survey-chart").count() == 9
    screenshot("survey-results")
    page.goto(f"{live_server}/projects/{futian.project.id}/surveys/{survey.id}")
    assert page.locator("svg.qr").count() == 1
    screenshot("survey-owner-detail")
    page.goto(f"{live_server}/projects/{futian.project.id}/surveys")
    screenshot("survey-owner-index")
    page.goto(f"{live_server}/projects/{futian.project.id}/surveys/{survey.id}/poster")
    assert page.locator(".poster h1").inner_text() == survey.title
    page.emulate_media(media="print")
    screenshot("survey-poster")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (ARTIFACTS / "survey-poster.pdf").write_bytes(pdf)
    assert re.search(rb"/Type\s*/Pages\b.*?/Count 1\b", pdf, re.S)  # one A4 sheet
