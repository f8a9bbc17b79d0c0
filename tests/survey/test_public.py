"""The public questionnaire: answering, pages, duplicates, invitations, CSRF, anonymity, rate limits."""
from __future__ import annotations

from datetime import date

from flask import g
from sqlalchemy import select, text

from core.app import create_app
from core.extensions import db
from survey.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from survey.service import create_invitations
from tests.conftest import _config, csrf_token
from tests.survey.conftest import ANSWER, answer, form_tokens, open_form

PHONE = {"User-Agent": "Mozilla/5.0 (Linux; Android 6.0; HUAWEI CAM-AL00) AppleWebKit/537.36 Chrome/56 Mobile"}
IP = "203.0.113.77"


def responses():
    return db.session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)).all()


def test_answer_submit_and_thank_you(app, client, futian):
    survey = futian.survey()
    submitted = answer(client, survey.slug, headers=PHONE, environ={"REMOTE_ADDR": IP})
    assert submitted.status_code == 303
    assert submitted.headers["Location"].endswith(f"/s/{survey.slug}/thanks")
    thanks = client.get(submitted.headers["Location"])
    assert "感谢您的参与" in thanks.get_data(as_text=True)
    [response] = responses()
    assert not response.excluded and response.reasons == []
    assert response.answers["payment"] == {"timely": "5", "amount": "4", "convenient": "5", "informed": "3",
                                           "staff": "4"}
    assert response.answers["channel"] == ["unit", "wechat"]
    rows = {(a.question_id, a.item_id): (a.choice, a.value, a.text)
            for a in db.session.scalars(select(SurveyAnswer))}
    assert rows[("payment", "informed")] == ("3", 60, None)   # 基本满意 → 60
    assert rows[("overall", "")] == ("4", 80, None)            # 满意 → 80
    assert rows[("suggestion", "")] == (None, None, "希望重阳节慰问金早一点到账")


def test_the_page_is_small_has_no_script_and_shows_progress(app, client, futian):
    survey = futian.survey()
    page = client.get(f"/s/{survey.slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "第 1 页，共 3 页" in html and '<progress value="1" max="3">' in html
    assert 'name="viewport"' in html and "survey.css" in html and "app.css" not in html
    css = client.get("/static/survey.css")
    assert len(page.data) + len(css.data) < 30 * 1024


def test_pages_validate_and_keep_earlier_answers(app, client, futian):
    survey = futian.survey()
    tokens = form_tokens(open_form(client, f"/s/{survey.slug}").get_data(as_text=True))
    missing = client.post(f"/s/{survey.slug}", data={**tokens, "action": "next", "q-age": "70"})
    assert missing.status_code == 422
    html = missing.get_data(as_text=True)
    assert "第 1 页，共 3 页" in html and "这道题还没有回答" in html
    assert 'value="70" checked' in html  # what was chosen stays chosen
    page2 = client.post(f"/s/{survey.slug}", data={**tokens, "action": "next", "q-received": "3"})
    html = page2.get_data(as_text=True)
    assert page2.status_code == 200 and "第 2 页，共 3 页" in html
    assert '<input type="hidden" name="q-received" value="3">' in html
    back = client.post(f"/s/{survey.slug}", data={**form_tokens(html), "action": "back", "q-received": "3",
                                                  "q-overall": "5"})
    html = back.get_data(as_text=True)
    assert "第 1 页，共 3 页" in html and 'name="q-received" value="3" checked' in html
    assert '<input type="hidden" name="q-overall" value="5">' in html
    # submitting with an unanswered matrix row sends the phone to the page with the problem
    partial = {k: v for k, v in ANSWER.items() if k != "q-payment-staff"}
    refused = answer(client, survey.slug, partial)
    assert refused.status_code == 422
    assert "第 2 页，共 3 页" in refused.get_data(as_text=True)
    assert "还有 1 项没有选择" in refused.get_data(as_text=True)
    assert responses() == []


def test_second_submission_from_the_same_browser_is_refused_politely(app, client, futian):
    survey = futian.survey()
    assert answer(client, survey.slug).status_code == 303
    again = client.get(f"/s/{survey.slug}")
    assert again.status_code == 200 and "您已经填写过这份问卷" in again.get_data(as_text=True)
    # a form kept open in a second tab is refused on submit as well
    tokens = form_tokens(client.post(f"/s/{survey.slug}", data={"action": "next"}).get_data(as_text=True))
    second = client.post(f"/s/{survey.slug}", data={**tokens, **ANSWER, "action": "submit", "page": "2"})
    assert "您已经填写过这份问卷" in second.get_data(as_text=True)
    assert len(responses()) == 1


def test_same_device_without_cookie_is_kept_but_flagged(app, futian):
    survey = futian.survey()
    for _ in range(2):  # two fresh browsers (no cookie), same IP and user agent: one shared phone
        assert answer(app.test_client(), survey.slug, headers=PHONE, environ={"REMOTE_ADDR": IP}).status_code == 303
    assert answer(app.test_client(), survey.slug, headers=PHONE,
                  environ={"REMOTE_ADDR": "198.51.100.5"}).status_code == 303
    first, second, third = responses()
    assert first.reasons == [] and not first.excluded
    assert second.reasons == ["duplicate_device"] and second.excluded
    assert third.reasons == [] and first.device_hash != third.device_hash


def test_too_fast_and_forged_start_are_flagged(app, futian):
    survey = futian.survey(min_seconds=60)
    answer(app.test_client(), survey.slug)
    client = app.test_client()
    other_phone = {"REMOTE_ADDR": "198.51.100.9"}
    tokens = form_tokens(open_form(client, f"/s/{survey.slug}", environ_base=other_phone).get_data(as_text=True))
    client.post(f"/s/{survey.slug}", data={**tokens, **ANSWER, "t": "forged", "action": "submit", "page": "2"},
                environ_base=other_phone)
    fast, forged = responses()
    assert fast.reasons == ["too_fast"] and fast.excluded and fast.seconds < 60
    assert forged.reasons == ["no_start_time"] and forged.started_at is None


def test_straight_lining_is_flagged(app, client, futian):
    survey = futian.survey()
    answer(client, survey.slug, {**ANSWER, **{f"q-payment-{r}": "5" for r in
                                             ("timely", "amount", "convenient", "informed", "staff")}})
    [response] = responses()
    assert response.reasons == ["straight_lining"] and response.excluded


def test_invitation_codes_are_one_time(app, futian):
    survey = futian.survey(mode="invitation")
    code, other = create_invitations(survey, 2, futian.filer)
    db.session.commit()
    client = app.test_client()
    assert "请输入您收到的邀请码" in client.get(f"/s/{survey.slug}").get_data(as_text=True)
    wrong = client.get(f"/s/{survey.slug}?c=ZZZZ-ZZZZ")
    assert wrong.status_code == 404 and "邀请码不正确" in wrong.get_data(as_text=True)
    typed = f"{code[:4].lower()}-{code[4:].lower()}"  # typed by hand, lower case with the dash
    assert answer(client, survey.slug, code=typed).status_code == 303
    # the same code again, from another phone: refused, nothing stored
    again = open_form(app.test_client(), f"/s/{survey.slug}?c={code}")
    assert again.status_code == 200 and "已经提交过问卷" in again.get_data(as_text=True)
    client2 = app.test_client()
    tokens = form_tokens(open_form(client2, f"/s/{survey.slug}?c={other}").get_data(as_text=True))
    replay = client2.post(f"/s/{survey.slug}", data={**tokens, **ANSWER, "c": code, "action": "submit", "page": "2"})
    assert replay.status_code == 409 and "每个邀请码只能提交一次" in replay.get_data(as_text=True)
    assert len(responses()) == 1 and responses()[0].device_hash is None
    used = db.session.scalars(select(SurveyInvitation.used_at).where(SurveyInvitation.used_at.is_not(None))).all()
    assert len(used) == 1 and isinstance(used[0], date)  # to the day only
    assert answer(app.test_client(), survey.slug, code=other).status_code == 303


def test_an_expired_csrf_token_keeps_the_answers(app, client, futian):
    survey = futian.survey()
    tokens = form_tokens(open_form(client, f"/s/{survey.slug}").get_data(as_text=True))
    stale = client.post(f"/s/{survey.slug}", data={**tokens, **ANSWER, "csrf_token": "expired",
                                                   "action": "submit", "page": "2"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 400 and "已为您保留答案" in html
    assert 'name="q-suggestion" rows="4"' in html and "希望重阳节慰问金早一点到账</textarea>" in html
    assert '<input type="hidden" name="q-overall" value="4">' in html
    assert responses() == []
    retry = client.post(f"/s/{survey.slug}", data={**form_tokens(html), **ANSWER, "action": "submit", "page": "2"})
    assert retry.status_code == 303 and len(responses()) == 1


def test_draft_unknown_and_closed_surveys(app, client, futian):
    draft = futian.survey(status="draft")
    for path in (f"/s/{draft.slug}", "/s/nosuchxx"):
        page = client.get(path)
        assert page.status_code == 404 and "这个问卷链接不存在" in page.get_data(as_text=True)
        assert "app.css" not in page.get_data(as_text=True)
    closed = futian.survey(status="closed")
    assert client.get(f"/s/{closed.slug}").status_code == 410
    open_ = futian.survey()
    tokens = form_tokens(open_form(client, f"/s/{open_.slug}").get_data(as_text=True))
    open_.status = "closed"
    db.session.commit()
    late = client.post(f"/s/{open_.slug}", data={**tokens, **ANSWER, "action": "submit", "page": "2"})
    assert late.status_code == 410 and responses() == []


def test_no_raw_ip_user_agent_or_code_in_any_table(app, futian):
    survey = futian.survey()
    answer(app.test_client(), survey.slug, headers=PHONE, environ={"REMOTE_ADDR": IP})
    closed_list = futian.survey(mode="invitation")
    [code] = create_invitations(closed_list, 1, futian.filer)
    db.session.commit()
    answer(app.test_client(), closed_list.slug, headers=PHONE, environ={"REMOTE_ADDR": IP}, code=code)
    assert len(responses()) == 2
    needles = (IP, "HUAWEI", code)
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            dumped = " ".join(str(value) for value in row)
            for needle in needles:
                assert needle not in dumped, f"{needle} stored in {table.name}"


def test_submissions_are_rate_limited_per_ip(app, database_url, futian):
    limited = create_app({**_config(database_url), "RATELIMIT_ENABLED": True,
                          "SURVEY_SUBMIT_RATE_LIMIT": "3 per minute"})
    slug = futian.survey().slug
    statuses = [answer(limited.test_client(), slug, environ={"REMOTE_ADDR": "192.0.2.10"}).status_code
                for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    refused = answer(limited.test_client(), slug, environ={"REMOTE_ADDR": "192.0.2.10"})
    assert refused.status_code == 429 and "请稍后再试" in refused.get_data(as_text=True)
    # another address is not affected, and page-to-page navigation has its own, looser limit
    assert answer(limited.test_client(), slug, environ={"REMOTE_ADDR": "192.0.2.11"}).status_code == 303
    navigate = limited.test_client()
    tokens = form_tokens(open_form(navigate, f"/s/{slug}", environ_base={"REMOTE_ADDR": "192.0.2.10"}).get_data(as_text=True))
    page = navigate.post(f"/s/{slug}", data={**tokens, "action": "next", "q-received": "3"},
                         environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert page.status_code == 200
    with limited.app_context():
        assert db.session.execute(text("SELECT count(*) FROM survey_response")).scalar() == 4


def test_page_navigation_has_its_own_limit_and_pages_are_not_limited(app, database_url, futian):
    limited = create_app({**_config(database_url), "RATELIMIT_ENABLED": True,
                          "SURVEY_PAGE_RATE_LIMIT": "2 per minute", "SURVEY_SUBMIT_RATE_LIMIT": "1 per minute"})
    slug = futian.survey().slug
    phone = limited.test_client()
    where = {"REMOTE_ADDR": "192.0.2.30"}
    for _ in range(4):  # opening the questionnaire is never limited
        assert open_form(phone, f"/s/{slug}", environ_base=where).status_code == 200
    tokens = form_tokens(open_form(phone, f"/s/{slug}", environ_base=where).get_data(as_text=True))
    pages = [phone.post(f"/s/{slug}", data={**tokens, "action": "next", "page": "0", "q-received": "3"},
                        environ_base=where).status_code for _ in range(3)]
    assert pages == [200, 200, 429]
    # the final submit draws on its own budget, untouched by the navigation
    assert answer(limited.test_client(), slug, environ=where).status_code == 303
    assert answer(limited.test_client(), slug, environ=where).status_code == 429
    # the survey's budgets are the survey's: a POST elsewhere (a wrong password) is not refused
    other = limited.test_client()
    wrong = other.post("/login", data={"username": "nobody", "password": "wrong",
                                       "csrf_token": csrf_token(other)}, environ_base=where)
    assert wrong.status_code == 200 and "请稍后再试" not in wrong.get_data(as_text=True)


def test_rate_limits_can_be_switched_off(app, futian):
    # the test app (and the benchmark) run with RATELIMIT_ENABLED = False
    slug = futian.survey().slug
    assert {answer(app.test_client(), slug, environ={"REMOTE_ADDR": "192.0.2.20"}).status_code
            for _ in range(5)} == {303}


def test_the_same_questionnaire_sent_again_is_stored_once(app, client, futian):
    """The served page's key is unique: the same questionnaire sent a second time (the
    "answered" cookie lost, a resent form) is thanked, not stored or flagged again."""
    from survey.public import COOKIE

    survey = futian.survey()
    data = {**form_tokens(open_form(client, f"/s/{survey.slug}").get_data(as_text=True)),
            **ANSWER, "action": "submit", "page": "2"}
    assert client.post(f"/s/{survey.slug}", data=data).status_code == 303
    client.delete_cookie(COOKIE, path="/s/")
    again = client.post(f"/s/{survey.slug}", data=data)
    assert again.status_code == 303 and again.headers["Location"].endswith("/thanks")
    assert db.session.scalars(select(SurveyResponse.invalid_reason).where(
        SurveyResponse.survey_id == survey.id)).all() == [""]
    # A new page load is a new questionnaire: the duplicate-device rule applies as before.
    client.delete_cookie(COOKIE, path="/s/")
    fresh = {**form_tokens(open_form(client, f"/s/{survey.slug}").get_data(as_text=True)),
             **ANSWER, "action": "submit", "page": "2"}
    assert client.post(f"/s/{survey.slug}", data=fresh).status_code == 303
    assert db.session.scalars(select(SurveyResponse.invalid_reason).where(
        SurveyResponse.survey_id == survey.id).order_by(SurveyResponse.id)).all() == ["", "duplicate_device"]


def test_open_submissions_commit_by_themselves_on_postgresql_and_invitations_keep_a_transaction(
        app, client, futian):
    """The public pages' connection (survey.store.public_connection): in open mode the final
    submit's one statement commits itself on PostgreSQL; a code must be consumed in the
    same transaction as the response it admits; pages and SQLite never switch."""
    import survey.store as store

    seen = []
    release = store.release_public_connection

    def recording(error=None):
        held = g.get(store._PUBLIC)
        if held is not None:
            seen.append(held.get_execution_options().get("isolation_level"))
        release(error)

    app.teardown_request_funcs["survey_public"] = [recording]  # this test's app only
    autocommit = "AUTOCOMMIT" if db.engine.dialect.name == "postgresql" else None
    open_survey = futian.survey()
    assert answer(client, open_survey.slug).status_code == 303
    assert seen == [None, autocommit]  # the page, then the final submit
    invited = futian.survey(mode="invitation")
    code = create_invitations(invited, 1, futian.filer)[0]
    db.session.commit()
    seen.clear()
    assert answer(app.test_client(), invited.slug, code=code).status_code == 303
    assert seen == [None, None]
    assert db.session.scalar(select(SurveyInvitation.used_at).where(SurveyInvitation.survey_id == invited.id))
