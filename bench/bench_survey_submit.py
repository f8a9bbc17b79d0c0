"""Benchmark: survey submissions per second under gunicorn, against a bare insert endpoint.

    python bench/bench_survey_submit.py [--seconds 10] [--connections 32] [--rounds 5]
                                        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/perfforms_bench]

What it does, in one run on loopback (TECH-NOTES: compare ratios, not absolutes):

1. creates a temporary SQLite database (or uses the PostgreSQL URL, creating that
   database if it does not exist — never the test database), loads the built-in
   packs, Futian's retiree project and one open survey (futian/retirees, rate
   limits off: ``RATELIMIT_ENABLED=False``, ``min_seconds=0``);
2. starts gunicorn (2 sync workers) on 127.0.0.1 with that app plus one bare
   endpoint ``POST /bench/bare`` that inserts one row with Flask-SQLAlchemy and
   commits — the floor (TECH-NOTES: ≈1,050 req/s measured on this machine kind);
3. opens the survey once like a phone (session cookie, CSRF token), then drives
   the *real* ``POST /s/<slug>`` final submit with ``wrk`` for a bounded time —
   every request a complete questionnaire with a fresh user agent (a new device)
   and a signed start token of its own, made in advance with the app's own
   ``survey.public.start_token`` (a page load of its own: the app stores each
   served questionnaire once) — then the bare endpoint for as long;
   ``--rounds`` short runs of each, alternated, so both see the same background load,
   after one untimed second of each (a fresh worker's first requests are slow);
4. prints req/s and p99 of both, the ratio (goal ≥ 60%), the CPU the gunicorn
   workers and wrk spent per request (from /proc and rusage: unlike req/s it does
   not depend on what else runs on the machine), and counts the rows: every 303
   wrk received must have its response row (zero lost), and each response its 11
   answer rows.

The two sides — same process, same app object, same stack:

* both run in the app of ``core.app.create_app`` (every extension, before/after
  request hook and security header), under the same gunicorn workers, with the same
  engine, pool (``pool_pre_ping``) and SQLite pragmas (``core/database.py``: WAL,
  ``synchronous=NORMAL``, ``busy_timeout``, foreign keys); both requests carry a
  fresh ``User-Agent`` and go through the same Lua script; one pooled connection
  each (checked out with the pool's ping);
* survey ``POST /s/<slug>`` (what a phone sends on the last page): the session
  cookie is opened, the form parsed (13 fields), the CSRF token checked, the
  survey read (with the duplicate-device check in the same query), the answers
  validated against the questionnaire, the validity rules applied, the response
  row (answers as JSON), its 11 normalised answer rows and the 11 deltas of the
  results' counters (``survey_tally``) written and committed — on SQLite three
  statements in one transaction inside the ``flock`` of
  ``survey.service.serialised_writes``; on PostgreSQL one statement (data-modifying
  CTEs), which in open mode runs in autocommit, so no BEGIN/COMMIT round trips
  (``survey/store.py``) — and a 303 with the "answered" cookie sent. The survey
  read and the writes run on a pooled Core connection of the request's own
  (``survey.store.public_connection``: the public pages load no ORM objects) with
  statements built once, on its DB-API cursor;
* bare ``POST /bench/bare`` (CSRF-exempt, no cookie): one ``INSERT`` of a short
  text into a table without indexes through ``db.session.execute``, one
  transaction, ``db.session.commit()``, ``"ok"`` — unchanged: the floor is plain
  Flask-SQLAlchemy. Its insert is not wrapped
  in ``serialised_writes``: measured, the ``flock`` makes the bare endpoint
  slower (≈ 700 vs ≈ 830 req/s: its transaction is too short for SQLite's busy
  handler to cost anything), so without it the floor is the higher one;
* after each run the bench waits until the workers are idle, so requests still
  queued when wrk stops are neither lost nor counted against the next run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import urllib.request
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _gunicorn import ensure_postgres_database, gunicorn  # noqa: E402 - bench/ is on sys.path as the script's folder
from _survey_fixture import ANSWERS  # noqa: E402

WRK = shutil.which("wrk") or "/usr/bin/wrk"
GOAL = 0.60
#: Start tokens made per second of survey load: well above what 2 workers reach here (≈ 1,300/s).
MAX_RPS = 4000
#: Untimed load on both endpoints first, so that no measured round pays a worker's first requests.
WARM_UP_SECONDS = 1

APP_MODULE = '''
"""The app gunicorn serves for bench_survey_submit.py (generated)."""
import os
import sqlalchemy as sa
from flask import request
from core.app import create_app
from core.extensions import csrf, db

app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"], "SECRET_KEY": "bench-secret",
                  "RATELIMIT_ENABLED": False})
bench_row = sa.Table("bench_row", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("payload", sa.Text, nullable=False))


@app.post("/bench/bare")
@csrf.exempt
def bare():
    db.session.execute(bench_row.insert().values(payload=request.get_data(as_text=True)[:200]))
    db.session.commit()
    return "ok"
'''

LUA = '''
-- one complete questionnaire per request; a fresh user agent = a new phone and, on
-- the survey, a start token of its own = a page load of its own (each is stored once)
local threads = {}
counter = 0
ok, other = 0, 0  -- globals: done() reads them from each thread with thread:get
local path, body, cookie, after = %(path)s, %(body)s, %(cookie)s, %(after)s
local tokens = {%(tokens)s}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + (id or 0) * 7919)
end

function request()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Cookie"] = cookie
  headers["User-Agent"] = "Mozilla/5.0 (Linux; Android 6.0) bench-" .. id .. "-" .. counter .. "-" .. math.random(1000000000)
  if #tokens == 0 then
    return wrk.format("POST", path, headers, body)
  end
  -- threads take alternate tokens; past the end a token is sent again (then counted as lost)
  local token = tokens[((counter - 1) * %(threads)d + id - 1) %% #tokens + 1]
  return wrk.format("POST", path, headers, body .. token .. after)
end

function response(status, headers, body)
  if status == %(expect)d then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
  end
  io.write(string.format("BENCH {\\"requests\\": %%d, \\"seconds\\": %%f, \\"p50_us\\": %%d, \\"p99_us\\": %%d, " ..
    "\\"ok\\": %%d, \\"other\\": %%d, \\"socket_errors\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    total_ok, total_other, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
'''


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def prepare_database(url: str, tokens: int) -> tuple[str, list[str]]:
    """Schema, packs, Futian's project and one open survey; returns the survey slug and
    ``tokens`` start tokens of its questionnaire, as ``tokens`` page loads would serve."""
    from core.extensions import db
    from _survey_fixture import create_futian_survey, fresh_database
    import sqlalchemy as sa
    from survey.public import start_token

    with fresh_database(url, "bench-secret"):
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS bench_row"))
            conn.execute(sa.text("CREATE TABLE bench_row (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
                         if url.startswith("sqlite") else
                         sa.text("CREATE TABLE bench_row (id SERIAL PRIMARY KEY, payload TEXT NOT NULL)"))
        survey, _project = create_futian_survey()
        slug = survey.slug
        served = [start_token(survey) for _ in range(tokens)]
    return slug, served


def count_rows(url: str) -> dict:
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in ("survey_response", "survey_answer", "bench_row")}
        counts["flagged"] = conn.execute(sa.text("SELECT count(*) FROM survey_response WHERE excluded")).scalar()
    engine.dispose()
    return counts


def open_like_a_phone(base: str, slug: str) -> tuple[str, dict]:
    """GET the form; return the Cookie header and the hidden fields to send back."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/s/{slug}", timeout=10).read().decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(csrf_token|t)" value="([^"]*)"', html))
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, hidden


def worker_cpu(master: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn workers of ``master``."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # ppid
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(url: str, path: str, body: str, cookie: str, expect: int, seconds: int, connections: int,
            workdir: Path, master: int, tokens: list[str] = (), after: str = "") -> dict:
    """``wrk`` POSTing ``body`` — or, with ``tokens``, ``body + token + after``, one token
    per request — for ``seconds``."""
    script = workdir / f"bench-{expect}.lua"
    script.write_text(LUA % {"path": lua_string(path), "body": lua_string(body), "cookie": lua_string(cookie),
                             "after": lua_string(after), "tokens": ",".join(map(lua_string, tokens)),
                             "expect": expect, "threads": min(2, connections)})
    threads = min(2, connections)
    server_before, wrk_before = worker_cpu(master), children_cpu()
    out = subprocess.run([WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
                         capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH "))
    result = json.loads(line[len("BENCH "):])
    result["rps"] = result["requests"] / result["seconds"]
    # CPU seconds spent, whatever else runs on the machine (requests still queued when
    # wrk stops finish later and are not counted: a slight underestimate for both).
    result["wrk_cpu"] = children_cpu() - wrk_before
    # Requests gunicorn had accepted when wrk stopped still run: let them finish here,
    # so they are neither counted against the next run (the other side) nor lost.
    result["server_cpu"] = drain(master) - server_before
    return result


def drain(master: int, limit: float = 5.0) -> float:
    """Wait until the workers are idle (no CPU used for 0.1 s); their CPU seconds then."""
    deadline = time.monotonic() + limit
    last = worker_cpu(master)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = worker_cpu(master)
        if now == last:
            return now
        last = now
    return last


def combine(runs: list[dict]) -> dict:
    """Totals over the slices; p50 the median slice's, p99 the worst slice's."""
    total = {key: sum(r[key] for r in runs) for key in ("requests", "seconds", "ok", "other", "socket_errors",
                                                         "server_cpu", "wrk_cpu")}
    total["rps"] = total["requests"] / total["seconds"]
    total["p50_us"] = sorted(r["p50_us"] for r in runs)[len(runs) // 2]
    total["p99_us"] = max(r["p99_us"] for r in runs)
    total["slices"] = [round(r["rps"]) for r in runs]
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn sync workers, for both endpoints (measured: -w 4 on these 2 cores, "
                             "shared with wrk, gave SQLite 58%% and PostgreSQL 51%% against 59%% and 65%% with -w 2)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternate survey and bare runs this many times (the machine's load drifts)")
    args = parser.parse_args()
    if not os.path.exists(WRK):
        print("wrk is not installed (apt-get install wrk)")
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="bench-survey-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite'}"
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    slice_seconds = max(1, args.seconds // max(1, args.rounds))
    # Every submission is a page load of its own (the app stores a served questionnaire
    # once): enough start tokens for MAX_RPS in every round, never reused across rounds.
    slug, tokens = prepare_database(url, MAX_RPS * (slice_seconds * max(1, args.rounds) + WARM_UP_SECONDS))
    warm_up, tokens = tokens[:MAX_RPS * WARM_UP_SECONDS], tokens[MAX_RPS * WARM_UP_SECONDS:]
    (workdir / "bench_app.py").write_text(textwrap.dedent(APP_MODULE), encoding="utf-8")
    with gunicorn(workdir, "bench_app", {"BENCH_DATABASE_URL": url}, workers=args.workers) as proc:
        base = f"http://127.0.0.1:{proc.port}"
        cookie, hidden = open_like_a_phone(base, slug)
        before = urllib.parse.urlencode([("csrf_token", hidden["csrf_token"])]) + "&t="
        after = "&" + urllib.parse.urlencode(ANSWERS)
        def survey_run(seconds: int, served: list[str]) -> dict:
            return run_wrk(f"{base}/s/{slug}", f"/s/{slug}", before, cookie, 303, seconds, args.connections,
                           workdir, proc.pid, served, after)

        def bare_run(seconds: int) -> dict:
            return run_wrk(f"{base}/bench/bare", "/bench/bare", "payload=one+row", "", 200, seconds,
                           args.connections, workdir, proc.pid)

        # A fresh worker's first requests configure SQLAlchemy's mappers, compile statements and
        # import lazily (≈ 0.25 s of CPU): untimed, for both endpoints, before the measured runs.
        warm, warm_bare = survey_run(WARM_UP_SECONDS, warm_up), bare_run(WARM_UP_SECONDS)
        # Alternate short runs so both see the same background load; each gets `seconds` in all.
        survey_runs, bare_runs = [], []
        per_round = len(tokens) // max(1, args.rounds)
        for n in range(max(1, args.rounds)):
            survey_runs.append(survey_run(slice_seconds, tokens[n * per_round:(n + 1) * per_round]))
            bare_runs.append(bare_run(slice_seconds))
        survey, bare = combine(survey_runs), combine(bare_runs)
    rows = count_rows(url)

    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    print(f"survey submissions under gunicorn -w {args.workers}, {backend}, wrk -t2 -c{args.connections}, "
          f"{args.rounds} alternating rounds of {max(1, args.seconds // max(1, args.rounds))} s each "
          f"(req/s per round: survey {survey['slices']}, bare {bare['slices']})")
    print(f"  survey POST /s/<slug> (final submit): {survey['rps']:8.1f} req/s  p50 {survey['p50_us'] / 1000:6.1f} ms"
          f"  p99 {survey['p99_us'] / 1000:6.1f} ms  303: {survey['ok']}  other: {survey['other']}"
          f"  socket errors: {survey['socket_errors']}")
    print(f"  bare insert POST /bench/bare:         {bare['rps']:8.1f} req/s  p50 {bare['p50_us'] / 1000:6.1f} ms"
          f"  p99 {bare['p99_us'] / 1000:6.1f} ms  200: {bare['ok']}  other: {bare['other']}"
          f"  socket errors: {bare['socket_errors']}")
    ratio = survey["rps"] / bare["rps"]
    print(f"  ratio survey / bare: {ratio:.0%} (goal ≥ {GOAL:.0%}) → {'OK' if ratio >= GOAL else 'BELOW GOAL'}")
    per = {name: (side["server_cpu"] * 1000 / max(1, side["requests"]), side["wrk_cpu"] * 1000 / max(1, side["requests"]))
           for name, side in (("survey", survey), ("bare", bare))}
    print(f"  CPU per request (independent of other load): gunicorn workers survey {per['survey'][0]:.2f} ms, "
          f"bare {per['bare'][0]:.2f} ms; wrk survey {per['survey'][1]:.2f} ms, bare {per['bare'][1]:.2f} ms "
          f"→ CPU ratio {(sum(per['bare'])) / max(1e-9, sum(per['survey'])):.0%}")
    received, received_bare = survey["ok"] + warm["ok"], bare["ok"] + warm_bare["ok"]  # the warm-up's rows too
    lost = max(0, received - rows["survey_response"])
    print(f"  rows: survey_response {rows['survey_response']} for {received} × 303 received ({warm['ok']} in the "
          f"warm-up; +{rows['survey_response'] - received} finished after wrk stopped), lost {lost}; "
          f"survey_answer {rows['survey_answer']} = {rows['survey_answer'] / max(1, rows['survey_response']):.0f} per "
          f"response; flagged {rows['flagged']}; bench_row {rows['bench_row']} for {received_bare} × 200")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if lost == 0 and survey["other"] == 0 and warm["other"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
