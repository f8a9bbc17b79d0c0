"""32 phones submitting one survey at the same time, over real HTTP, on the test
database (SQLite or PostgreSQL): every accepted submission is stored exactly once with
all its answer rows, a phone that already answered is refused, and one invitation code
posted by several phones at once is accepted exactly once.

The small counterpart of ``bench/stress_survey_submissions.py`` (10,000 submissions
under gunicorn): here a threaded werkzeug server in this process, so the requests run
in threads of one process with the app's own engine and pool — the path SQLite's
``serialised_writes`` guards with its thread lock as well as its ``flock``. Each
submission carries a unique marker in its free-text answer, so a lost or a doubled
row is found by name, not only by a count. No timing is asserted.
"""
from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from collections import Counter

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from core.extensions import db
from survey.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from survey.service import create_invitations
from tests.concurrency.helpers import BARRIER_TIMEOUT
from tests.survey.conftest import ANSWER, Futian
from tests.survey.test_tally import counters, reference

CLIENTS = 32
SUBMISSIONS = 640  # 20 per client
RESUBMISSIONS = 64
CODES = 16
PHONES_PER_CODE = 4
ANSWER_ROWS = 11  # received, age, 5 matrix statements, overall, 2 channels, suggestion
HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|t|c)" value="([^"]*)"')


@pytest.fixture
def futian(people):
    return Futian(people)


@pytest.fixture
def live_server(app):
    """The test app served by a threaded werkzeug server (a thread per request)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(5)


class Phone:
    """One respondent's browser: its own user agent and cookies, a connection of its own."""

    def __init__(self, port: int, agent: str, marker: str):
        self.port, self.agent, self.marker = port, agent, marker
        self.cookies: dict[str, str] = {}
        self.hidden: dict[str, str] = {}

    def _send(self, method: str, path: str, body: str | None = None):
        headers = {"User-Agent": self.agent}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=BARRIER_TIMEOUT)
        try:
            conn.request(method, path, body=body.encode() if body is not None else None, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def open(self, path: str) -> int:
        status, html = self._send("GET", path)
        self.hidden = dict(HIDDEN.findall(html))
        return status

    def submit(self, slug: str) -> int:
        answers = [(key, value) for key, values in ANSWER.items()
                   for value in (values if isinstance(values, list) else [values])]
        fields = [(key, self.marker if key == "q-suggestion" else value) for key, value in answers]
        body = urllib.parse.urlencode([*self.hidden.items(), *fields, ("page", "2"), ("action", "submit")])
        return self._send("POST", f"/s/{slug}", body)[0]


def in_threads(items: list, act, clients: int = CLIENTS, between=None) -> list:
    """``act(item)`` for every item, spread over ``clients`` threads started together.

    Item ``i`` runs in thread ``i % clients``; ``between``, if given, is a second step
    every thread starts only when all have done the first (a barrier), so e.g. all
    phones hold their form before any posts. Returns the results in item order.
    """
    results: list = [None] * len(items)
    second: list = [None] * len(items)
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients, timeout=BARRIER_TIMEOUT)

    def run(index: int) -> None:
        try:
            barrier.wait()
            mine = range(index, len(items), clients)
            for i in mine:
                results[i] = act(items[i])
            if between is not None:
                barrier.wait()
                for i in mine:
                    second[i] = between(items[i])
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_TIMEOUT * 10)
        assert not thread.is_alive(), "a client did not finish"
    if errors:
        raise errors[0]
    return results if between is None else list(zip(results, second))


def stored(survey_id: int) -> tuple[Counter, Counter]:
    """(markers stored → how often, answer rows per response) of one survey."""
    db.session.expire_all()
    markers = Counter(db.session.scalars(select(SurveyAnswer.text).where(
        SurveyAnswer.survey_id == survey_id, SurveyAnswer.question_id == "suggestion")))
    rows = Counter(dict(db.session.execute(
        select(SurveyResponse.id, func.count(SurveyAnswer.id))
        .outerjoin(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .where(SurveyResponse.survey_id == survey_id).group_by(SurveyResponse.id)).all()))
    return markers, rows


def test_concurrent_submissions_are_stored_exactly_once(futian, live_server):
    survey = futian.survey()
    survey_id, slug = survey.id, survey.slug
    db.session.rollback()  # release the fixture's connection: the server's threads write now

    phones = [Phone(live_server, f"Mozilla/5.0 (Linux; Android 9; concurrency phone {number})",
                    f"并发提交 #{number:04d}") for number in range(SUBMISSIONS)]

    def answer(phone: Phone) -> tuple[int, int]:
        return phone.open(f"/s/{slug}"), phone.submit(slug)

    results = in_threads(phones, answer)
    assert Counter(results) == {(200, 303): SUBMISSIONS}

    markers, rows = stored(survey_id)
    sent = {phone.marker for phone in phones}
    assert set(markers) == sent  # none lost, none unexpected
    assert [m for m, n in markers.items() if n > 1] == []  # none duplicated
    assert sum(rows.values()) == SUBMISSIONS * ANSWER_ROWS and set(rows.values()) == {ANSWER_ROWS}
    assert len(rows) == SUBMISSIONS
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse).where(
        SurveyResponse.survey_id == survey_id, SurveyResponse.excluded)) == 0  # distinct phones, none flagged
    # The results' counters, written by concurrent upserts, equal a recount of the answers.
    survey = db.session.get(Survey, survey_id)
    assert counters(survey) == reference(survey) and counters(survey)[("overall", "", "4")] == (SUBMISSIONS,) * 2

    # The same phones again, with the "answered" cookie of their 303: refused, nothing written.
    again = in_threads(phones[:RESUBMISSIONS], lambda phone: phone.submit(slug))
    assert Counter(again) == {200: RESUBMISSIONS}
    assert stored(survey_id)[0] == markers


def test_one_invitation_code_posted_at_once_by_several_phones_is_accepted_once(futian, live_server):
    survey = futian.survey(mode="invitation")
    codes = create_invitations(survey, CODES, futian.filer)
    db.session.commit()
    survey_id, slug = survey.id, survey.slug
    db.session.rollback()

    # Phones 4k … 4k+3 share code k and sit in four different threads at the same
    # position: all four open the form while the code is unused, then post together.
    phones = [Phone(live_server, f"Mozilla/5.0 (Linux; Android 9; code {k} phone {j})", f"邀请码 {k} 手机 {j}")
              for k in range(CODES) for j in range(PHONES_PER_CODE)]
    code_of = {id(phone): codes[i // PHONES_PER_CODE] for i, phone in enumerate(phones)}
    results = in_threads(phones, lambda phone: phone.open(f"/s/{slug}?c={code_of[id(phone)]}"),
                         between=lambda phone: phone.submit(slug))
    assert all(opened == 200 and phone.hidden.get("c") == code_of[id(phone)]
               for (opened, _), phone in zip(results, phones))
    accepted = Counter(code_of[id(phone)] for (_, status), phone in zip(results, phones) if status == 303)
    assert accepted == {code: 1 for code in codes}
    assert Counter(status for _, status in results) == {303: CODES, 409: CODES * (PHONES_PER_CODE - 1)}

    # Every phone posts its page again: the winners' pages were stored, so they are
    # thanked again (303) without a second row; the others' code is used: refused.
    again = in_threads(phones, lambda phone: phone.submit(slug))
    assert [s for (_, first), s in zip(results, again) if first == 303] == [303] * CODES
    assert Counter(again) == {303: CODES, 409: CODES * (PHONES_PER_CODE - 1)}

    markers, rows = stored(survey_id)
    winners = {phone.marker for (_, status), phone in zip(results, phones) if status == 303}
    assert markers == Counter(winners)
    assert len(rows) == CODES and set(rows.values()) == {ANSWER_ROWS}
    assert db.session.execute(select(func.count(SurveyInvitation.id), func.count(SurveyInvitation.used_at))
                              .where(SurveyInvitation.survey_id == survey_id)).one() == (CODES, CODES)


def test_a_double_tap_in_open_mode_counts_once(futian, live_server):
    """One phone sending its last page twice at once (a double tap on an old phone):
    both requests carry the same cookie, token and device, neither has the "answered"
    cookie yet. Both are answered politely; the questionnaire is stored once (its form
    key is unique), so nothing counts twice and nothing is flagged."""
    survey = futian.survey()
    survey_id, slug = survey.id, survey.slug
    db.session.rollback()
    phones = [Phone(live_server, f"Mozilla/5.0 (Linux; Android 9; double tap {n})", f"连点两次 {n}")
              for n in range(CLIENTS)]
    for phone in phones:
        assert phone.open(f"/s/{slug}") == 200
    taps = [phone for phone in phones for _ in range(2)]  # both taps of a phone in neighbouring threads

    statuses = in_threads(taps, lambda phone: phone.submit(slug))
    # 303 and thanks; 200 "already answered" when one tap's cookie came back before the
    # other was sent (both taps share the phone's cookies, as on a real phone).
    assert set(statuses) <= {303, 200} and statuses.count(303) >= len(phones)

    db.session.expire_all()
    stored = Counter(db.session.scalars(select(SurveyAnswer.text).join(
        SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id).where(
        SurveyAnswer.survey_id == survey_id, SurveyAnswer.question_id == "suggestion",
        SurveyResponse.excluded.is_(False))))
    assert stored == Counter({phone.marker: 1 for phone in phones})
    assert db.session.scalar(select(func.count(SurveyResponse.id)).where(
        SurveyResponse.survey_id == survey_id)) == len(phones)
