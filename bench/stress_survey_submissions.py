"""Stress test: 10,000 survey submissions from 32 concurrent phones — none lost, none duplicated.

    python bench/stress_survey_submissions.py [--submissions 10000] [--clients 32]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/perfforms_stress]
        [--workers 2] [--threads 1] [--resubmit 320] [--codes 160]

The requirement (issue "Reliability and security"): 10,000 survey submissions from 32
concurrent clients on SQLite and on PostgreSQL with zero lost or duplicated rows. One
command checks it end to end, over HTTP, against the database:

1. **Set-up.** A temporary SQLite file (WAL, as ``core/database.py`` configures it) or
   the PostgreSQL database given with ``--database-url`` — a database of its own,
   ``perfforms_stress`` by convention, created if missing; ``postgres`` and the test
   databases (``perfforms_test…``) are refused, since every table is dropped. The
   schema, the built-in packs, Futian's retiree project with an open
   ``futian/retirees`` survey and a second survey of it in invitation mode with
   ``--codes`` one-time codes (``bench/_survey_fixture.py``; rate limits off,
   ``min_seconds=0``). Then gunicorn on loopback, as in production (``--workers`` sync
   workers; ``--threads`` > 1 for gthread workers) — ``bench/_gunicorn.py``.
2. **Submissions.** ``--clients`` threads, each with a keep-alive ``http.client``
   connection, send exactly ``--submissions`` questionnaires between them. Each one is
   a new phone: its own User-Agent (so the duplicate-device rule does not flag it),
   ``GET /s/<slug>`` for the session cookie, the CSRF token and the signed start time,
   then the final ``POST /s/<slug>`` of the complete questionnaire (11 answer rows),
   with a unique marker in the free-text answer (``q-suggestion``). A 303 is an
   accepted submission. A POST is never retried: its outcome would be unknown.
3. **Refusals, under the same concurrency.** (a) ``--resubmit`` phones of step 2 post
   their questionnaire again, carrying the "answered" cookie they got with the 303:
   each must be refused (200 "already answered"), no row written. (b) Each invitation
   code is opened by 4 phones at once — all four get the form, the code being still
   unused — and the four post together: exactly one 303 per code, the others 409;
   then all of them post again: the winners' pages, stored already, are thanked
   again (303, no second row: one response per served page), the others refused.
4. **Verification in the database** (after gunicorn has stopped): response rows of
   the open survey == 303s received == ``--submissions``; every marker exactly once
   (lost: acknowledged with a 303 but absent; duplicated: stored more than once;
   unexpected: stored but not acknowledged); every response has its 11 answer rows
   and its JSON answers carry the same marker as its answer row; none flagged
   (distinct devices); the invitation survey holds exactly one response per code,
   every code used once.

Printed: submissions, clients, elapsed time, throughput, p50/p99 latency of the final
POST (and of the whole phone, GET + POST), errors by status, lost, duplicated, and
the refusal checks. Exit status 1 if anything is lost, duplicated, incomplete or
refused wrongly, or if fewer than ``--submissions`` were accepted; 0 otherwise.

On a 2-core machine the 32 client threads compete with gunicorn for the CPU: the
throughput is a lower bound for the server, not a capacity figure (TECH-NOTES).
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _gunicorn import ensure_postgres_database, gunicorn  # noqa: E402 - bench/ is on sys.path as the script's folder
from _survey_fixture import ANSWER_ROWS, ANSWERS  # noqa: E402

APP_MODULE = '''
"""The app gunicorn serves for stress_survey_submissions.py (generated)."""
import os
from core.app import create_app

app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["STRESS_DATABASE_URL"], "SECRET_KEY": "stress-secret",
                  "RATELIMIT_ENABLED": False})
'''
SECRET = "stress-secret"
PHONES_PER_CODE = 4
HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|t|c)" value="([^"]*)"')


# --- one phone over one keep-alive connection --------------------------------------------------------------

class Client:
    """One load-generating client: a keep-alive connection, reopened when the server closes it
    (gunicorn's sync workers answer ``Connection: close``)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, method: str, path: str, headers: dict, body: str | None = None):
        """(status, headers, body text, seconds); raises OSError / HTTPException on a socket failure."""
        if body is not None:
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body.encode() if body is not None else None, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        return response.status, response.headers, text, time.perf_counter() - started

    def close(self) -> None:
        self.conn.close()


@dataclass
class Phone:
    """A respondent's browser: its own user agent and cookies."""

    agent: str
    marker: str
    cookies: dict = field(default_factory=dict)
    hidden: dict = field(default_factory=dict)

    def headers(self) -> dict:
        headers = {"User-Agent": self.agent}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def keep_cookies(self, headers) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def open(self, client: Client, path: str) -> bool:
        """GET the first page; True when it holds the form (token fields found)."""
        for attempt in (1, 2):  # a GET is safe to repeat after a socket error
            try:
                status, headers, text, _ = client.send("GET", path, self.headers())
                break
            except (OSError, http.client.HTTPException):
                if attempt == 2:
                    raise
        self.keep_cookies(headers)
        self.hidden = dict(HIDDEN.findall(text))
        return status == 200 and "csrf_token" in self.hidden and "t" in self.hidden

    def body(self) -> str:
        answers = [(k, self.marker if k == "q-suggestion" else v) for k, v in ANSWERS]
        return urllib.parse.urlencode(list(self.hidden.items()) + answers)

    def submit(self, client: Client, slug: str) -> tuple[int | str, float]:
        """POST the complete questionnaire once: (status or "socket", seconds)."""
        try:
            status, headers, _, seconds = client.send("POST", f"/s/{slug}", self.headers(), self.body())
        except (OSError, http.client.HTTPException) as error:
            return f"socket:{type(error).__name__}", 0.0
        self.keep_cookies(headers)
        return status, seconds


# --- running clients together ----------------------------------------------------------------------------

def run_clients(port: int, clients: int, work) -> float:
    """Run ``work(client_index, Client)`` in ``clients`` threads started together; the
    seconds from the start to the last thread's end. An exception in a thread is re-raised."""
    barrier = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        client = Client(port)
        try:
            barrier.wait()
            work(index, client)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


@dataclass
class Submissions:
    statuses: Counter = field(default_factory=Counter)
    accepted: list = field(default_factory=list)  # markers acknowledged with a 303
    post_seconds: list = field(default_factory=list)
    phone_seconds: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # phones that submit again (refusal check)
    lock: threading.Lock = field(default_factory=threading.Lock)


def submit_all(port: int, slug: str, run: str, total: int, clients: int, keep: int) -> tuple[Submissions, float]:
    """Step 2: ``total`` new phones, spread over ``clients`` threads."""
    result = Submissions()

    def work(index: int, client: Client) -> None:
        statuses, accepted, posts, phones, kept = Counter(), [], [], [], []
        for number in range(index, total, clients):
            phone = Phone(agent=f"Mozilla/5.0 (Linux; Android 9; stress {run} phone {number})",
                          marker=f"stress {run} #{number:06d} 希望慰问金早一点到账")
            started = time.perf_counter()
            if not phone.open(client, f"/s/{slug}"):
                statuses["GET without form"] += 1
                continue
            status, seconds = phone.submit(client, slug)
            statuses[status] += 1
            if status == 303:
                accepted.append(phone.marker)
                posts.append(seconds)
                phones.append(time.perf_counter() - started)
                if number < keep:
                    kept.append(phone)
        with result.lock:
            result.statuses.update(statuses)
            result.accepted += accepted
            result.post_seconds += posts
            result.phone_seconds += phones
            result.kept += kept

    return result, run_clients(port, clients, work)


def resubmit(port: int, slug: str, phones: list[Phone], clients: int) -> Counter:
    """Step 3a: phones that already answered post again, with their "answered" cookie."""
    statuses: Counter = Counter()
    lock = threading.Lock()

    def work(index: int, client: Client) -> None:
        mine = Counter(phone.submit(client, slug)[0] for phone in phones[index::clients])
        with lock:
            statuses.update(mine)

    run_clients(port, clients, work)
    return statuses


def race_codes(port: int, slug: str, codes: list[str], run: str, clients: int) -> dict:
    """Step 3b: each code opened by 4 phones, then all post at once, then all post again."""
    phones = [Phone(agent=f"Mozilla/5.0 (Linux; Android 9; stress {run} code {c} phone {j})",
                    marker=f"stress {run} code {c} phone {j}") for c in range(len(codes)) for j in range(PHONES_PER_CODE)]
    # Phone p of code p // 4 runs in thread p % clients, at position p // clients: the 4
    # phones of a code are in different threads and reach the server at about the same moment.
    opened, first, second = Counter(), Counter(), Counter()
    accepted: dict[int, list[str]] = {}
    lock = threading.Lock()
    rounds = threading.Barrier(clients)

    def work(index: int, client: Client) -> None:
        mine = [(p, phones[p]) for p in range(index, len(phones), clients)]
        got = Counter(phone.open(client, f"/s/{slug}?c={codes[p // PHONES_PER_CODE]}") for p, phone in mine)
        rounds.wait()  # every phone holds the form of a still unused code
        statuses = [(p, phone.submit(client, slug)[0]) for p, phone in mine]
        rounds.wait()
        again = Counter(phone.submit(client, slug)[0] for _, phone in mine)
        with lock:
            opened.update(got)
            first.update(status for _, status in statuses)
            second.update(again)
            for p, status in statuses:
                if status == 303:
                    accepted.setdefault(p // PHONES_PER_CODE, []).append(phones[p].marker)

    run_clients(port, clients, work)
    return {"opened": opened, "first": first, "second": second, "accepted": accepted}


# --- the database --------------------------------------------------------------------------------------------

def prepare(url: str, codes: int) -> tuple[dict, list[str]]:
    """Fresh schema, the open survey and the invitation survey; ({"open": (id, slug), "code": (id, slug)}, codes)."""
    from _survey_fixture import create_futian_survey, create_invitation_survey, fresh_database

    with fresh_database(url, SECRET):
        survey, _project = create_futian_survey()
        invited, issued = create_invitation_survey(survey, codes)
        return {"open": (survey.id, survey.slug), "code": (invited.id, invited.slug)}, issued


def stored(url: str, survey_id: int) -> dict:
    """What the database holds for one survey: markers, answer rows per response, flags."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            responses = conn.execute(sa.text(
                "SELECT id, answers, excluded, device_hash FROM survey_response WHERE survey_id = :s"),
                {"s": survey_id}).all()
            per_response = dict(conn.execute(sa.text(
                "SELECT response_id, count(*) FROM survey_answer WHERE survey_id = :s GROUP BY response_id"),
                {"s": survey_id}).all())
            marker_rows = conn.execute(sa.text(
                "SELECT response_id, text FROM survey_answer WHERE survey_id = :s AND question_id = 'suggestion'"),
                {"s": survey_id}).all()
            invitations = conn.execute(sa.text(
                "SELECT count(*), count(used_at) FROM survey_invitation WHERE survey_id = :s"), {"s": survey_id}).one()
    finally:
        engine.dispose()
    marker_of = {}
    for response_id, text in marker_rows:
        marker_of.setdefault(response_id, []).append(text)
    ids = {r[0] for r in responses}
    mismatched = 0
    for response_id, answers, _excluded, _device in responses:
        answers = json.loads(answers) if isinstance(answers, str) else answers
        if marker_of.get(response_id) != [answers.get("suggestion")]:
            mismatched += 1
    return {
        "responses": len(responses),
        "markers": Counter(text for _, text in marker_rows),
        "incomplete": sum(1 for r in responses if per_response.get(r[0], 0) != ANSWER_ROWS),
        "orphan_answers": sum(1 for response_id in per_response if response_id not in ids),
        "mismatched": mismatched,
        "flagged": sum(1 for r in responses if r[2]),
        "devices": len({r[3] for r in responses}),
        "invitations": tuple(invitations),
    }


def compare(sent: list[str], held: Counter) -> dict:
    """lost / duplicated / unexpected markers between the 303s received and the rows stored."""
    acknowledged = Counter(sent)
    return {
        "lost": sum(1 for marker in acknowledged if marker not in held),
        "duplicated": sum(count - 1 for count in held.values() if count > 1),
        "unexpected": sum(1 for marker in held if marker not in acknowledged),
        "sent_twice": sum(count - 1 for count in acknowledged.values() if count > 1),  # a bug of this script
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def statuses_text(counter: Counter) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counter.items(), key=lambda kv: str(kv[0]))) or "none"


# --- main ----------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL URL of a database of its own, e.g. "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/perfforms_stress (default: a temporary SQLite file)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (> 1: gthread workers)")
    parser.add_argument("--resubmit", type=int, default=320, help="phones that submit again with their cookie")
    parser.add_argument("--codes", type=int, default=160, help=f"invitation codes, each raced by {PHONES_PER_CODE} phones")
    args = parser.parse_args()
    if args.submissions < 1 or args.clients < 1 or not 1 <= args.codes <= 5000:
        parser.error("--submissions and --clients must be ≥ 1, --codes between 1 and 5000")

    workdir = Path(tempfile.mkdtemp(prefix="stress-survey-"))
    url = args.database_url or f"sqlite:///{workdir / 'stress.sqlite'}"
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    surveys, codes = prepare(url, args.codes)
    (open_id, open_slug), (code_id, code_slug) = surveys["open"], surveys["code"]
    run = uuid.uuid4().hex[:8]
    (workdir / "stress_app.py").write_text(textwrap.dedent(APP_MODULE), encoding="utf-8")
    server = f"gunicorn -w {args.workers}" + (f" --threads {args.threads}" if args.threads > 1 else " (sync)")
    print(f"{args.submissions} survey submissions from {args.clients} concurrent clients, {backend}, {server}")

    with gunicorn(workdir, "stress_app", {"STRESS_DATABASE_URL": url},
                  workers=args.workers, threads=args.threads) as proc:
        subs, elapsed = submit_all(proc.port, open_slug, run, args.submissions, args.clients, args.resubmit)
        again = resubmit(proc.port, open_slug, subs.kept, args.clients)
        race = race_codes(proc.port, code_slug, codes, run, args.clients)
        log = proc.log
    tracebacks = Path(log).read_text(errors="replace").count("Traceback")

    held, invited = stored(url, open_id), stored(url, code_id)
    diff = compare(subs.accepted, held["markers"])
    ok303 = subs.statuses.get(303, 0)
    errors = Counter({k: v for k, v in subs.statuses.items() if k != 303})
    print(f"  submissions: {args.submissions} sent, {ok303} accepted (303); errors by status: {statuses_text(errors)}")
    print(f"  elapsed {elapsed:.1f} s, throughput {ok303 / elapsed:.0f} submissions/s "
          f"({2 * args.submissions / elapsed:.0f} requests/s, GET + POST)")
    print(f"  latency of the final POST: p50 {percentile(subs.post_seconds, 50) * 1000:.1f} ms, "
          f"p99 {percentile(subs.post_seconds, 99) * 1000:.1f} ms; whole phone (GET + POST): "
          f"p50 {percentile(subs.phone_seconds, 50) * 1000:.1f} ms, p99 {percentile(subs.phone_seconds, 99) * 1000:.1f} ms")
    print(f"  database: {held['responses']} response rows for {ok303} × 303; lost {diff['lost']}, "
          f"duplicated {diff['duplicated']}, unexpected {diff['unexpected']}; incomplete answer sets "
          f"{held['incomplete']} (each should have {ANSWER_ROWS}), orphan answers {held['orphan_answers']}, "
          f"JSON/answer-row mismatches {held['mismatched']}; flagged {held['flagged']}, distinct devices {held['devices']}")
    again_rows = held["responses"] - ok303
    print(f"  re-submissions with the answered cookie: {len(subs.kept)} sent, statuses {statuses_text(again)}; "
          f"extra rows {again_rows}")
    per_code = Counter(len(v) for v in race["accepted"].values())
    code_diff = compare([m for v in race["accepted"].values() for m in v], invited["markers"])
    used, issued = invited["invitations"][1], invited["invitations"][0]
    print(f"  invitation codes: {len(codes)} codes × {PHONES_PER_CODE} phones posting at once: forms opened "
          f"{race['opened'].get(True, 0)}/{len(codes) * PHONES_PER_CODE}; statuses {statuses_text(race['first'])}; "
          f"codes accepted once {per_code.get(1, 0)}, more than once {sum(v for k, v in per_code.items() if k > 1)}")
    print(f"  used codes posted again: statuses {statuses_text(race['second'])}; database: {invited['responses']} "
          f"response rows for {len(codes)} codes, {used}/{issued} codes used; lost {code_diff['lost']}, "
          f"duplicated {code_diff['duplicated']}, unexpected {code_diff['unexpected']}, incomplete {invited['incomplete']}")
    if tracebacks:
        print(f"  gunicorn logged {tracebacks} tracebacks (see {log})")

    failures = []
    if diff["lost"] or code_diff["lost"]:
        failures.append("rows lost")
    if diff["duplicated"] or diff["unexpected"] or code_diff["duplicated"] or code_diff["unexpected"]:
        failures.append("rows duplicated or unexpected")
    if ok303 != args.submissions or held["responses"] != args.submissions:
        failures.append(f"{ok303} accepted and {held['responses']} stored of {args.submissions}")
    if held["incomplete"] or held["orphan_answers"] or held["mismatched"] or invited["incomplete"]:
        failures.append("incomplete or mismatched answer rows")
    if held["flagged"] or held["devices"] != held["responses"]:
        failures.append("distinct phones flagged as one device")
    if again.get(303, 0) or again_rows:
        failures.append("a re-submission with the answered cookie was stored")
    if per_code != Counter({1: len(codes)}) or race["second"].get(303, 0) != len(codes) \
            or invited["responses"] != len(codes) or used != len(codes):
        failures.append("an invitation code was accepted other than exactly once")
    print("  → " + ("OK: nothing lost, nothing duplicated" if not failures else "FAILED: " + "; ".join(failures)))
    if not failures:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"  kept {workdir} for inspection")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
