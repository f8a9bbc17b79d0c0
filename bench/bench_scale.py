"""Benchmark: the staff pages at province scale (issue 13) — 200, 2,000 and 20,000 projects.

    .venv/bin/python bench/bench_scale.py [--projects 200 2000 20000] [--rounds 3]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/perfforms_bench]

For each size the bench database is dropped and created again (PostgreSQL on
loopback only; its name must contain ``bench``) and filled by
``bench/_scale_dataset.py``: one Futian project taken through the real services
(goal approved, self-evaluation approved, June monitoring report), cloned with Core
inserts into 20 child jurisdictions, 1,000 organizations and N projects (a quarter
with a self-evaluation, a sixth with a monitoring report).

Then every page below is requested through the Flask test client, as the user a real
visit would be (a reviewer, a leader and an admin of the top jurisdiction, nobody for
the public pages, a bearer token for the API): one warm-up request each, then
``--rounds`` timed rounds interleaved across pages (round 1 every page, round 2 every
page, …). Reported per page and size: the median time, the SQL statements of one
request (a ``before_cursor_execute`` listener), status and response size. A request
is stopped after 60 s (SIGALRM); the page is then skipped for the rest of that size
and shown as "> 60 s". The floor is the anonymous login form, timed in the same rounds.

Prints the table, with t(largest)/t(smallest) per page and the times as multiples of
the floor, and writes everything to ``bench/results/scale-<date>.json``.
"""
from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/perfforms_bench"
DEFAULT_SIZES = (200, 2_000, 20_000)
BUDGET_SECONDS = 60
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Page:
    name: str
    who: str        # "reviewer", "leader", "admin", "token" (API) or "public"
    path: str       # formatted with the dataset's values (year, round, codes, ids)


FLOOR = Page("floor: login form (anonymous)", "public", "/login")
PAGES = (
    FLOOR,
    Page("project list /", "reviewer", "/"),
    Page("project list ?q=&year=", "reviewer", "/?q={fragment}&year={year}"),
    Page("project list ?page=5", "reviewer", "/?page=5"),
    Page("review queue ?state=approved", "reviewer", "/review/?state=approved"),
    Page("monitoring table, one round", "reviewer", "/monitoring/?year={year}&round={round}"),
    Page("monitoring light=red sort=execution_rate", "reviewer",
         "/monitoring/?year={year}&round={round}&light=red&sort=execution_rate"),
    Page("dashboard (leader)", "leader", "/dashboard/?year={year}"),
    Page("public disclosure index (a child)", "public", "/public/{child}/"),
    Page("public jurisdictions /public/", "public", "/public/"),
    Page("API projects per_page=50", "token", "/api/v1/projects?per_page=50"),
    Page("rectification letters", "reviewer", "/rectification/"),
    Page("assessments", "reviewer", "/assessments/"),
    Page("project page + history", "reviewer", "/projects/{project}"),
    Page("surveys of the project (owner)", "reviewer", "/projects/{project}/surveys"),
    Page("admin: jurisdictions", "admin", "/admin/"),
    Page("admin: people of a child", "admin", "/admin/jurisdictions/{child}/people"),
)


@dataclass
class Measure:
    """One page at one size."""

    path: str
    times: list[float] = field(default_factory=list)
    statements: int | None = None
    status: int | str | None = None
    size: int | None = None
    over_budget: bool = False
    error: str | None = None

    @property
    def median(self) -> float | None:
        return None if self.over_budget or not self.times else statistics.median(self.times)


class OverBudget(KeyboardInterrupt):
    """Raised by SIGALRM inside a request that ran past the budget. A KeyboardInterrupt so
    psycopg cancels a running query and SQLAlchemy drops the connection, as on Ctrl-C."""


# ----------------------------------------------------------------------- database ------

def check_url(url: str):
    """Refuse anything but a bench database on loopback PostgreSQL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        sys.exit(f"bench_scale measures PostgreSQL; got {parsed.drivername}")
    if (parsed.host or "localhost") not in LOOPBACK:
        sys.exit(f"bench_scale only talks to loopback services; got host {parsed.host}")
    if "bench" not in (parsed.database or ""):
        sys.exit(f"bench_scale drops its database at each size; refusing {parsed.database!r} "
                 "(the name must contain 'bench')")
    return parsed


def recreate_database(url) -> None:
    """Drop and create the bench database (see scripts/ensure_pg_database.py)."""
    import psycopg

    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                         dbname="postgres", connect_timeout=3, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{url.database}"')


def make_app(url: str):
    from core.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-scale", "RATELIMIT_ENABLED": False,
                       "WTF_CSRF_ENABLED": False, "IDLE_TIMEOUT_SECONDS": 24 * 3600})


# ------------------------------------------------------------------------ clients ------

def clients(app, dataset) -> dict:
    """A test client per visitor, logged in through POST /login like a browser."""
    from _scale_dataset import PASSWORD

    result = {"public": app.test_client()}
    for role in ("reviewer", "leader", "admin"):
        client = app.test_client()
        response = client.post("/login", data={"username": dataset.usernames[role], "password": PASSWORD})
        if response.status_code != 302:
            raise RuntimeError(f"login of the {role} failed: {response.status_code}")
        result[role] = client
    result["token"] = app.test_client()
    return result


def page_paths(dataset) -> dict[Page, str]:
    values = {"year": dataset.year, "round": dataset.round_id, "fragment": dataset.name_fragment,
              "child": dataset.child_codes[0], "parent": dataset.parent_code,
              "project": dataset.template_project_id}
    return {page: page.path.format(**values) for page in PAGES}


# ------------------------------------------------------------------------- timing ------

class StatementCounter:
    """Counts the statements sent on ``engine`` (a before_cursor_execute listener)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += 1


def _alarm(signum, frame):
    raise OverBudget()


def request_once(client, page: Page, path: str, secret: str, counter: StatementCounter, measure: Measure):
    """One request within the budget; returns its seconds, or None when it ran out of time."""
    headers = {"Authorization": f"Bearer {secret}"} if page.who == "token" else {}
    counter.count = 0
    signal.signal(signal.SIGALRM, _alarm)
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, BUDGET_SECONDS)
    try:
        response = client.get(path, headers=headers)
        body = response.get_data()
    except OverBudget:
        measure.over_budget, measure.statements = True, counter.count
        return None
    except Exception as error:  # a crash is a result too, not the end of the run
        signal.setitimer(signal.ITIMER_REAL, 0)
        measure.status, measure.error = "error", f"{type(error).__name__}: {error}"[:300]
        traceback.print_exc()
        return time.perf_counter() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    elapsed = time.perf_counter() - started
    if elapsed > BUDGET_SECONDS:
        measure.over_budget = True
    measure.statements, measure.status, measure.size = counter.count, response.status_code, len(body)
    return elapsed


def measure_size(app, dataset, rounds: int, log=print) -> dict[str, Measure]:
    """Warm every page up once, then ``rounds`` rounds interleaved across pages."""
    from core.extensions import db

    with app.app_context():
        counter = StatementCounter(db.engine)
    visitors = clients(app, dataset)
    paths = page_paths(dataset)
    results = {page.name: Measure(path=paths[page]) for page in PAGES}
    for number in range(rounds + 1):
        label = "warm-up" if number == 0 else f"round {number}/{rounds}"
        for page in PAGES:
            measure = results[page.name]
            if measure.over_budget or measure.error:
                continue
            seconds = request_once(visitors[page.who], page, paths[page], dataset.api_secret, counter, measure)
            if number > 0 and seconds is not None and not measure.over_budget:
                measure.times.append(seconds)
            shown = f"> {BUDGET_SECONDS} s" if measure.over_budget else f"{seconds:.3f} s"
            log(f"  {label:12} {page.name:44} {shown:>9} {measure.statements or 0:>7} q  {measure.status}")
    return results


# ------------------------------------------------------------------------- report ------

def cell(measure: Measure | None) -> str:
    if measure is None:
        return "—"
    if measure.over_budget:
        text = f"> {BUDGET_SECONDS} s (≥{measure.statements:,} q when stopped)"
    elif measure.median is None:
        text = "no result"
    else:
        text = f"{measure.median:.3f} s / {measure.statements:,} q"
    if measure.status not in (200, None):
        text += f" [{measure.status}]"
    return text


def ratio(first: Measure, last: Measure) -> str:
    if last.over_budget and first.median:
        return f"> {BUDGET_SECONDS / first.median:,.0f}×"
    if first.median and last.median:
        return f"{last.median / first.median:,.1f}×"
    return "—"


def table(sizes: list[int], results: dict[int, dict[str, Measure]]) -> str:
    """The Markdown table: page | each size: median, statements | t(largest)/t(smallest)."""
    head = ["page"] + [f"{size:,}" for size in sizes]
    if len(sizes) > 1:
        head.append(f"t({sizes[-1]:,})/t({sizes[0]:,})")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for page in PAGES:
        row = [page.name] + [cell(results[size].get(page.name)) for size in sizes]
        if len(sizes) > 1:
            row.append(ratio(results[sizes[0]][page.name], results[sizes[-1]][page.name]))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def floor_table(sizes: list[int], results: dict[int, dict[str, Measure]]) -> str:
    """The same medians as multiples of the floor measured at that size."""
    head = ["page (× floor)"] + [f"{size:,}" for size in sizes]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for page in PAGES[1:]:
        row = [page.name]
        for size in sizes:
            floor, measure = results[size][FLOOR.name].median, results[size][page.name]
            if measure.over_budget and floor:
                row.append(f"> {BUDGET_SECONDS / floor:,.0f}×")
            elif floor and measure.median:
                row.append(f"{measure.median / floor:,.0f}×")
            else:
                row.append("—")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def write_json(args, sizes, datasets, results, text: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scale-{date.today().isoformat()}.json"
    doc = {"date": date.today().isoformat(), "rounds": args.rounds, "budget_seconds": BUDGET_SECONDS,
           "floor": FLOOR.name, "sizes": sizes,
           "datasets": {str(size): {"counts": d.counts, "seconds": d.seconds} for size, d in datasets.items()},
           "pages": {page.name: {str(size): {**asdict(results[size][page.name]),
                                             "median": results[size][page.name].median}
                                 for size in sizes} for page in PAGES},
           "table": text}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- main ------

def run_size(url: str, parsed_url, projects: int, rounds: int):
    from _scale_dataset import build

    from core.extensions import db

    print(f"\n== {projects:,} projects ==", flush=True)
    recreate_database(parsed_url)
    app = make_app(url)
    dataset = build(app, projects, log=lambda line: print(line, flush=True))
    try:
        results = measure_size(app, dataset, rounds, log=lambda line: print(line, flush=True))
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return dataset, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    parsed = check_url(args.database_url)
    sizes = sorted(set(args.projects))
    datasets, results = {}, {}
    for size in sizes:
        datasets[size], results[size] = run_size(args.database_url, parsed, size, args.rounds)
    text = table(sizes, results)
    print("\n" + text + "\n\n" + floor_table(sizes, results))
    print(f"\nfloor: GET /login, anonymous; medians of {args.rounds} interleaved rounds after one warm-up; "
          f"q = SQL statements per request")
    print(f"written to {write_json(args, sizes, datasets, results, text).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
