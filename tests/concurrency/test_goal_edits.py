"""Two editors of one goal form at the same moment: the first save wins, the second
is refused and nothing of it is written — on SQLite and on PostgreSQL.

Both editors load the form at lock_version N. The barrier releases them together,
so both pass the freshness check and reach the database with N; the version
counter (``UPDATE … WHERE lock_version = N``) lets exactly one through.
"""
from __future__ import annotations

import copy
import re
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from core.extensions import db
from core.models import AuditEvent, Submission, User
from core.workflow import service
from tests.concurrency.helpers import BOYE_ORG, goal_submission, run_together
from tests.conftest import login
from tests.workflow.test_goal_flow import form_fields

REPETITIONS = 5


@pytest.fixture
def filers(people):
    org = people.organization("boye", BOYE_ORG)
    return [people.user("filer_a", "filer", organization=org), people.user("filer_a2", "filer", organization=org)]


def saves_of(submission_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "submission", AuditEvent.object_id == submission_id,
        AuditEvent.action == "submission.save"))


def editor(submission_id: int, user_id: int, purpose: str):
    def work(barrier):
        submission = db.session.get(Submission, submission_id)
        actor = db.session.get(User, user_id)
        version = submission.lock_version
        data = copy.deepcopy(submission.data)
        data["fields"]["purpose"] = purpose
        data["indicators"][0]["target"] = f"≥{len(purpose)}%"
        barrier.wait()  # both hold version N now
        service.save_draft(submission, data, actor, version)
        db.session.commit()
        return version
    return work


@pytest.mark.parametrize("repetition", range(REPETITIONS))
def test_first_save_wins_and_the_second_writes_nothing(app, people, filers, repetition):
    first, second = filers
    submission_id = goal_submission(people, first, f"并发编辑 {repetition}")
    before = db.session.get(Submission, submission_id)
    version, original_rows = before.lock_version, copy.deepcopy(before.data["indicators"])
    saves = saves_of(submission_id)
    db.session.rollback()

    purposes = ["第一位编辑的用途说明", "第二位编辑写的另一段用途说明文字"]
    outcomes = run_together(app, editor(submission_id, first.id, purposes[0]),
                            editor(submission_id, second.id, purposes[1]))

    winners = [i for i, o in enumerate(outcomes) if o.error is None]
    losers = [o for o in outcomes if o.error is not None]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert outcomes[winners[0]].value == version
    assert isinstance(losers[0].error, StaleDataError), repr(losers[0].error)

    db.session.expire_all()
    stored = db.session.get(Submission, submission_id)
    won = purposes[winners[0]]
    assert stored.data["fields"]["purpose"] == won
    assert stored.data["indicators"][0]["target"] == f"≥{len(won)}%"
    assert [r["id"] for r in stored.data["indicators"]] == [r["id"] for r in original_rows]
    assert stored.lock_version == version + 1
    assert saves_of(submission_id) == saves + 1  # the loser's audit event was rolled back with it


def test_over_http_the_loser_sees_the_stale_edit_message(app, people, filers, monkeypatch):
    """The same race through the real views: two browsers post the form at once."""
    first, second = filers
    submission_id = goal_submission(people, first, "并发编辑 HTTP")
    project_id = db.session.get(Submission, submission_id).project_id
    url = f"/projects/{project_id}/forms/goal"
    clients = [app.test_client(), app.test_client()]
    pages = []
    for client, user in zip(clients, ("filer_a", "filer_a2")):
        with app.app_context():  # requests would otherwise share the fixture's context (and g.user)
            login(client, user)
            pages.append(form_fields(client.get(url).get_data(as_text=True)))
    version = db.session.get(Submission, submission_id).lock_version
    db.session.rollback()
    assert all(int(p["lock_version"]) == version for p in pages)

    barriers = {}
    original = service.save_draft

    def save_draft_in_step(*args, **kwargs):
        barriers[threading.get_ident()].wait()  # both requests have loaded version N
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "save_draft", save_draft_in_step)
    purposes = ["浏览器一", "浏览器二"]

    def poster(index):
        def work(barrier):
            barriers[threading.get_ident()] = barrier
            values = dict(pages[index], f_purpose=purposes[index], action="save")
            return clients[index].post(url, data=values)
        return work

    outcomes = run_together(app, poster(0), poster(1))
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    statuses = sorted(o.value.status_code for o in outcomes)
    assert statuses == [302, 409], statuses
    loser = next(o.value for o in outcomes if o.value.status_code == 409)
    html = loser.get_data(as_text=True)
    assert "此表刚被他人修改，您的修改未保存" in html
    winner = next(i for i, o in enumerate(outcomes) if o.value.status_code == 302)
    # The loser's page still shows what they typed, so nothing they wrote is lost to them.
    assert purposes[1 - winner] in html

    db.session.expire_all()
    stored = db.session.get(Submission, submission_id)
    assert stored.data["fields"]["purpose"] == purposes[winner]
    assert stored.lock_version == version + 1
    # A retry with the stale version is refused too, until the page is reloaded.
    monkeypatch.setattr(service, "save_draft", original)
    with app.app_context():
        retry = clients[1 - winner].post(url, data=dict(pages[1 - winner], f_purpose="再试", action="save"))
    assert retry.status_code == 409 and re.search("已被修改|刚被他人修改", retry.get_data(as_text=True))


def test_submit_sends_only_what_this_user_just_saved(app, people, filers, monkeypatch):
    """Save and submit are two commits; another editor's save landing between them is
    not submitted in this user's name: the submit is refused as stale."""
    first, second = filers
    submission_id = goal_submission(people, first, "保存后提交")
    project_id = db.session.get(Submission, submission_id).project_id
    db.session.rollback()
    url = f"/projects/{project_id}/forms/goal"
    client = app.test_client()
    with app.app_context():
        login(client, "filer_a")
        page = form_fields(client.get(url).get_data(as_text=True))

    original = service.apply_transition

    def someone_saves_first(submission, name, *args, **kwargs):
        if name == "submit":
            outcome, = run_together(app, editor(submission_id, second.id, "另一位编辑在提交前保存的内容"))
            assert outcome.error is None, outcome.error
        return original(submission, name, *args, **kwargs)

    monkeypatch.setattr(service, "apply_transition", someone_saves_first)
    with app.app_context():
        response = client.post(url, data=dict(page, f_purpose="我的内容", action="submit"))
    assert response.status_code == 409
    assert "已被修改" in response.get_data(as_text=True)

    db.session.expire_all()
    stored = db.session.get(Submission, submission_id)
    assert stored.state == "draft"
    assert stored.data["fields"]["purpose"] == "另一位编辑在提交前保存的内容"
