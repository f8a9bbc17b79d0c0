"""Benchmark: do staff pages keep answering while eight clients download goal PDFs?

    python bench/bench_pdf_pages.py [--servers readme-w4,gthread,process,shipped] [--seconds 30]
                                    [--rounds 3] [--clients 8] [--page-rate 10] [--env NAME=VALUE ...]
                                    [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/perfforms_bench]

What it does, in one run on loopback (TECH-NOTES: on 2 cores compare ratios, not absolutes):

1. loads the demo as production does — ``flask --app wsgi init-db`` then ``seed-demo`` —
   into a temporary SQLite database, or into the PostgreSQL database of
   ``--database-url`` (created if missing, its schema dropped first; never ``postgres``
   or a ``perfforms_test…`` database);
2. starts one ``gunicorn … wsgi:app`` — the production entry point — per server of
   ``--servers``, all on 127.0.0.1, each in a session of its own (stopped with it, render
   processes included), each PDF cache in the bench's temporary folder:

   - ``readme-w4``: ``-w 4``, no configuration file: the README's command before issue 13
     (sync workers, every render in its worker);
   - ``gthread``: ``gunicorn.conf.py`` with renders in the request's thread (option (a):
     gthread workers, one render at a time per process — ``core.reports.pdf._lock``
     already is that semaphore);
   - ``process``: ``gunicorn.conf.py`` with its niced render process per worker, cache off
     (option (c): what every download that is not a repeat gets);
   - ``shipped``: ``gunicorn.conf.py`` exactly as shipped, PDF cache on (option (b) on
     top): the bench asks for the same four forms within the same minute, so nearly
     every download is a cache hit — the best case, not the common one;
   - or ``LABEL::GUNICORN ARGS::NAME=VALUE …`` (empty arguments: ``-c gunicorn.conf.py``);
3. logs in to each as ``boye_reviewer`` and times two pages a reviewer opens all day —
   the project list ``/`` and a project page ``/projects/<id>`` — requested alternately
   on an open-loop schedule (``--page-rate`` per second from a pool of client
   threads; a request's latency counts from the moment it was *due*, so a stalled
   server cannot hide behind a client that waits for it: no coordinated omission);
4. ``--rounds`` rounds, each visiting every server in turn (the servers' order rotates,
   the two sides' order flips), ``--seconds`` in all per side and server: the pages
   **alone** — the floor — and the same pages **while ``--clients`` clients download
   goal PDFs** (``/projects/<id>/forms/goal.pdf`` of every Boye project the reviewer
   may download, round-robin, each client one download after another; they start
   3 s ahead, and the downloads that end within the timed window are counted, so the
   rate is the steady one); every download in flight finishes before the next slice;
   one untimed warm-up of each server first (a fresh worker's first PDF parses the font);
5. prints, per server: PDFs/s (median of the rounds), PDF p50/p99, page p50 (median of
   the rounds' p50s) and p99 (of all the side's page samples: a round has too few for
   its own), the ratios of both to the same server's pages-alone floor, the floor, the
   server's CPU per PDF (its whole session's CPU, less the pages' own: independent of
   whatever else the machine runs) and errors (any status but 200, any socket error).

Reading it: the floor is what the pages cost on this machine at this rate; ×floor says
how much eight PDF downloads slow them down. Goal (issue 13): pages keep answering —
p50 and p99 within a small factor of the floor — without losing PDF throughput. On a
machine shared with other work, PDFs/s moves with that work (compare CPU/PDF); the
interleaving gives every server the same share of the drift.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import runpy
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _gunicorn import ensure_postgres_database, free_port, wait_for  # noqa: E402 - bench/ is the script's folder

REVIEWER, PASSWORD = "boye_reviewer", "demo-2026"
WARM_UP_SECONDS = 4
#: The PDF clients start this long before a loaded slice's pages and its count (steady state).
LEAD_IN_SECONDS = 3
#: Client threads for the page schedule: enough that a due request always finds one
#: even when the server stalls for seconds (its latency then still counts from its due time).
PAGE_THREADS = 64


# ----------------------------------------------------------------- set-up --------

def load_demo(url: str, env: dict) -> None:
    """``flask --app wsgi init-db`` and ``seed-demo`` on ``url``, as scripts/demo does."""
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
        import sqlalchemy as sa
        engine = sa.create_engine(url)
        with engine.begin() as conn:  # a database of the bench's own (ensure_postgres_database refuses others)
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["init-db"], ["seed-demo"]):
        done = subprocess.run(flask + command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        if done.returncode:
            raise SystemExit(f"flask {command[0]} failed:\n{done.stdout}{done.stderr}")


def start_gunicorn(workdir: Path, args: list[str], env: dict) -> subprocess.Popen:
    """``gunicorn <args> wsgi:app`` on a free loopback port, in its own process group
    (stopped with the whole group: workers and any render processes they started).
    Run from ``workdir`` so that no ``./gunicorn.conf.py`` is picked up unasked."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", *args, "-b", f"127.0.0.1:{port}", "--log-level", "warning",
               "wsgi:app"]
    log = workdir / f"gunicorn-{port}.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=stderr,
                                start_new_session=True)
    proc.port, proc.log = port, log
    try:
        wait_for(port, proc, seconds=60)
    except BaseException:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def log_in(base: str) -> str:
    """The reviewer's session as a ``Cookie`` header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'id="csrf_token"[^>]*value="([^"]+)"', html)
    body = urllib.parse.urlencode({"username": REVIEWER, "password": PASSWORD, "csrf_token": token.group(1)})
    opener.open(f"{base}/login", data=body.encode(), timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookie:
        raise SystemExit("login failed")
    return cookie


def get(port: int, path: str, cookie: str, timeout: float = 120) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def discover(port: int, cookie: str) -> tuple[list[str], list[str]]:
    """(the two page paths, every goal-PDF path the reviewer may download)."""
    status, html = get(port, "/", cookie)
    assert status == 200, status
    ids = sorted({int(m) for m in re.findall(rb'href="/projects/(\d+)"', html)})
    assert ids, "no project on the reviewer's list"
    pdfs = []
    for project_id in ids:
        path = f"/projects/{project_id}/forms/goal.pdf"
        status, body = get(port, path, cookie)
        if status == 200 and body.startswith(b"%PDF-"):
            pdfs.append(path)
    assert pdfs, "the reviewer may download no goal PDF"
    # the project page of a project with a goal PDF (a submitted form in the reviewer's queue)
    return ["/", pdfs[-1].rsplit("/forms/", 1)[0]], pdfs


# ------------------------------------------------------------------ load --------

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def page_schedule(port: int, cookie: str, pages: list[str], rate: float, seconds: float) -> dict:
    """Pages alternately, ``rate`` per second for ``seconds``, each due at its slot; latency
    from its due time to the end of its body. Returns {path: [s, ...], "errors": n}."""
    samples: dict = {path: [] for path in pages}
    samples["errors"] = 0
    lock = threading.Lock()

    def one(path: str, due: float) -> None:
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            status, _body = get(port, path, cookie, timeout=120)
        except OSError:
            status = 0
        elapsed = time.perf_counter() - due
        with lock:
            if status == 200:
                samples[path].append(elapsed)
            else:
                samples["errors"] += 1

    start = time.perf_counter() + 0.05
    count = int(rate * seconds)
    with ThreadPoolExecutor(PAGE_THREADS) as pool:
        for n in range(count):
            due = start + n / rate
            # hand a request to the pool shortly before it is due (the pool never runs dry)
            ahead = due - 0.5 - time.perf_counter()
            if ahead > 0:
                time.sleep(ahead)
            pool.submit(one, pages[n % len(pages)], due)
    return samples


def pdf_clients(port: int, cookie: str, paths: list[str], clients: int, count_from: float, stop_at: float,
                results: dict) -> list:
    """``clients`` threads, each downloading PDFs one after another until ``stop_at``.
    Counted: the downloads that *end* between ``count_from`` and ``stop_at`` — started
    ahead of the window, the clients are in their stride when it opens, so the count
    over the window is the steady rate (no ramp-up, no download cut off at the end
    lost from it). Returns the threads."""
    results.update(latencies=[], errors=0, made=0)
    lock = threading.Lock()

    def client(number: int) -> None:
        n = number
        while time.perf_counter() < stop_at:
            path = paths[n % len(paths)]
            n += 1
            began = time.perf_counter()
            try:
                status, body = get(port, path, cookie, timeout=120)
                good = status == 200 and body.startswith(b"%PDF-")
            except OSError:
                good = False
            ended = time.perf_counter()
            with lock:
                results["made"] += good  # every PDF made, counted or not: for the CPU per PDF
            if ended > stop_at:
                break
            if ended < count_from:
                continue
            with lock:
                if good:
                    results["latencies"].append(ended - began)
                else:
                    results["errors"] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    return threads


def session_cpu(session: int) -> float:
    """CPU seconds (user + system) used so far by the processes of ``session``: gunicorn's
    master, its workers and their render processes (gunicorn runs in a session of its own)."""
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
        if int(fields[3]) == session:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def slice_(proc: subprocess.Popen, cookie: str, pages: list[str], pdfs: list[str], *, loaded: bool,
           seconds: float, rate: float, clients: int) -> dict:
    """One slice: the page schedule, with or without the PDF clients; the server's CPU over it."""
    port = proc.port
    pdf = {}
    threads = []
    cpu, began = session_cpu(proc.pid), time.perf_counter()
    if loaded:
        start = time.perf_counter() + LEAD_IN_SECONDS
        threads = pdf_clients(port, cookie, pdfs, clients, start, start + seconds, pdf)
        time.sleep(LEAD_IN_SECONDS)
    samples = page_schedule(port, cookie, pages, rate, seconds)
    for thread in threads:  # every download in flight finishes before the next slice
        thread.join(timeout=180)
    result = {"pages": samples, "pdf_rate": len(pdf.get("latencies", [])) / seconds if loaded else None,
              "pdf_latencies": pdf.get("latencies", []), "pdf_errors": pdf.get("errors", 0),
              "pdfs_made": pdf.get("made", 0), "cpu": session_cpu(proc.pid) - cpu,
              "span": time.perf_counter() - began}
    return result


# ---------------------------------------------------------------- report --------

def side(results: list[dict], pages: list[str]) -> dict:
    every = [x for r in results for path in pages for x in r["pages"][path]]
    summary = {
        "page_p50": statistics.median(percentile([x for path in pages for x in r["pages"][path]], 0.5)
                                      for r in results),
        "page_p99": percentile(every, 0.99),
        "per_page": {path: percentile([x for r in results for x in r["pages"][path]], 0.5) for path in pages},
        "samples": len(every),
        "errors": sum(r["pages"]["errors"] + r["pdf_errors"] for r in results),
        "rounds_p50": [percentile([x for path in pages for x in r["pages"][path]], 0.5) for r in results],
    }
    if results[0]["pdf_rate"] is not None:
        latencies = [x for r in results for x in r["pdf_latencies"]]
        summary.update(pdf_rate=statistics.median(r["pdf_rate"] for r in results),
                       rounds_rate=[r["pdf_rate"] for r in results],
                       pdf_p50=percentile(latencies, 0.5), pdf_p99=percentile(latencies, 0.99))
    return summary


def cpu_per_pdf(result: dict) -> float:
    """Server CPU seconds per PDF made: the loaded slices' CPU less what the pages alone
    used in as long, over every PDF made in them. Unlike PDFs/s it does not depend on
    what else the machine runs."""
    alone = sum(r["cpu"] for r in result["alone"]) / sum(r["span"] for r in result["alone"])
    loaded = result["loaded"]
    extra = sum(r["cpu"] for r in loaded) - alone * sum(r["span"] for r in loaded)
    return extra / max(1, sum(r["pdfs_made"] for r in loaded))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms" if seconds < 10 else f"{seconds:7.1f} s "


CONF = str(ROOT / "gunicorn.conf.py")
#: name: (what it is, gunicorn arguments, server environment). PDF_CACHE_MB=0: every
#: download renders (the bench asks for the same four forms again and again; with the
#: cache they would be read from disk — the "shipped" server shows that case).
PRESETS = {
    "readme-w4": ("gunicorn -w 4 wsgi:app: sync workers, render in the worker (README before issue 13)",
                  ["-w", "4"], {"PDF_RENDER_ISOLATION": "thread", "PDF_CACHE_MB": "0"}),
    "gthread": ("gunicorn.conf.py, render in the request's thread (one at a time per worker): option (a)",
                ["-c", CONF], {"PDF_RENDER_ISOLATION": "thread", "PDF_CACHE_MB": "0"}),
    "process": ("gunicorn.conf.py, render in a niced render process per worker: option (c)",
                ["-c", CONF], {"PDF_RENDER_ISOLATION": "process", "PDF_CACHE_MB": "0"}),
    "shipped": ("gunicorn.conf.py as shipped (render process + PDF cache): the bench's repeats are cache hits",
                ["-c", CONF], {}),
}


def parse_server(spec: str) -> tuple[str, str, list[str], dict]:
    """A preset name, or ``LABEL::GUNICORN ARGS::NAME=VALUE NAME=VALUE``."""
    if spec in PRESETS:
        text, gunicorn_args, env = PRESETS[spec]
        return spec, text, gunicorn_args, env
    label, gunicorn_args, *env = spec.split("::")
    pairs = dict(item.split("=", 1) for item in (env[0].split() if env else []))
    return label, label, shlex.split(gunicorn_args) if gunicorn_args.strip() else ["-c", CONF], pairs


def describe(gunicorn_args: list[str], env: dict) -> str:
    """What a server runs: its arguments (and a configuration file's settings), its PDF settings."""
    text = "gunicorn " + " ".join(a if a != CONF else "gunicorn.conf.py" for a in gunicorn_args) + " wsgi:app"
    if "-c" in gunicorn_args:
        before = dict(os.environ)
        try:
            conf = runpy.run_path(gunicorn_args[gunicorn_args.index("-c") + 1])
            settings = {k: v for k, v in os.environ.items() if k.startswith("PDF_") and before.get(k) != v}
        finally:
            os.environ.clear()
            os.environ.update(before)
        text += " (" + ", ".join(f"{k}={conf[k]}" for k in ("workers", "worker_class", "threads") if k in conf) + ")"
    else:
        settings = {}
    settings.update({k: v for k, v in env.items() if k.startswith("PDF_") and k != "PDF_CACHE_DIR"})
    return text + (" " + " ".join(f"{k}={v}" for k, v in sorted(settings.items())) if settings else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="per side and server, split over the rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8, help="concurrent PDF downloads")
    parser.add_argument("--page-rate", type=float, default=10, help="page requests per second (both sides)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--servers", default="readme-w4,gthread,process,shipped",
                        help=f"comma-separated: presets {', '.join(PRESETS)}, "
                             "or 'LABEL::GUNICORN ARGS::NAME=VALUE ...' "
                             "(empty arguments: -c gunicorn.conf.py)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment of every server, e.g. PDF_RENDER_NICE=19")
    args = parser.parse_args()

    servers = [parse_server(spec.strip()) for spec in args.servers.split(",") if spec.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="bench-pdf-pages-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite'}"
    base_env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret",
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    base_env.update(item.split("=", 1) for item in args.env)
    rounds = max(1, args.rounds)
    per_slice = args.seconds / rounds
    common = dict(rate=args.page_rate, clients=args.clients)
    running = []
    results = {label: {"alone": [], "loaded": []} for label, *_ in servers}
    try:
        load_demo(url, base_env)
        # Every server is started up front (idle ones cost nothing) so that the rounds can
        # alternate between them: all of them see the same drift of the machine's load.
        for n, (label, _text, gunicorn_args, env) in enumerate(servers):
            server_env = {**base_env, "PDF_CACHE_DIR": str(workdir / f"pdf-cache-{n}"), **env}
            proc = start_gunicorn(workdir, gunicorn_args, server_env)
            cookie = log_in(f"http://127.0.0.1:{proc.port}")
            pages, pdfs = discover(proc.port, cookie)
            running.append((label, proc, cookie, pages, pdfs))
        for label, proc, cookie, pages, pdfs in running:  # untimed: fonts parsed, workers warm
            slice_(proc, cookie, pages, pdfs, loaded=True, seconds=WARM_UP_SECONDS, **common)
            slice_(proc, cookie, pages, pdfs, loaded=False, seconds=1, **common)
        for n in range(rounds):
            order = running[n % len(running):] + running[:n % len(running)]
            for label, proc, cookie, pages, pdfs in order:
                for is_loaded in ((False, True) if n % 2 == 0 else (True, False)):
                    result = slice_(proc, cookie, pages, pdfs, loaded=is_loaded, seconds=per_slice, **common)
                    results[label]["loaded" if is_loaded else "alone"].append(result)
    finally:
        for label, proc, *_ in running:
            stop(proc)
            failures = proc.log.read_text(errors="replace") if proc.log.exists() else ""
            if "Traceback" in failures or "[CRITICAL]" in failures:
                print(f"server log of {label}:\n" + failures[-3000:])
        shutil.rmtree(workdir, ignore_errors=True)

    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    pages, pdfs = running[0][3], running[0][4]
    print(f"{backend}; as {REVIEWER}: pages {' and '.join(pages)} alternately at {args.page_rate:g}/s, alone and "
          f"while {args.clients} clients download {len(pdfs)} goal PDFs round-robin; {rounds} rounds of "
          f"{per_slice:g} s per side, interleaved across {len(servers)} servers; ×floor = page latency over the "
          f"same server's pages-alone latency")
    for label, text, gunicorn_args, env in servers:
        shown = describe(gunicorn_args, {**env, **dict(a.split("=", 1) for a in args.env)})
        print(f"  {label:10} {text}\n  {'':10} {shown}")
    print(f"{'server':10} {'PDFs/s':>7} {'PDF p50':>10} {'PDF p99':>10} {'page p50':>10} {'page p99':>10} "
          f"{'p50 ×floor':>10} {'p99 ×floor':>10} {'floor p50':>10} {'floor p99':>10} {'CPU/PDF':>10} {'errors':>6}")
    failed = False
    for label, *_ in servers:
        floor, under = side(results[label]["alone"], pages), side(results[label]["loaded"], pages)
        failed |= bool(floor["errors"] or under["errors"])
        print(f"{label:10} {under['pdf_rate']:7.2f} {ms(under['pdf_p50'])} {ms(under['pdf_p99'])} "
              f"{ms(under['page_p50'])} {ms(under['page_p99'])} {under['page_p50'] / floor['page_p50']:10.2f} "
              f"{under['page_p99'] / floor['page_p99']:10.2f} {ms(floor['page_p50'])} {ms(floor['page_p99'])} "
              f"{ms(cpu_per_pdf(results[label]))} {floor['errors'] + under['errors']:6d}")
    print("CPU/PDF: server CPU (workers and render processes) per PDF, less the pages' own (from the alone "
          "slices): independent of other load on the machine")
    print("per round (page p50 alone → with PDFs, ms; PDFs/s):")
    for label, *_ in servers:
        floor, under = side(results[label]["alone"], pages), side(results[label]["loaded"], pages)
        print(f"  {label:10} " + "  ".join(f"{a * 1000:.0f}→{b * 1000:.0f} {r:.2f}/s" for a, b, r in
                                          zip(floor["rounds_p50"], under["rounds_p50"], under["rounds_rate"])))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
