"""Running the app under gunicorn on loopback for the survey benchmarks.

Shared by ``bench_survey_submit.py`` and ``stress_survey_submissions.py``: a free
port, a PostgreSQL database of the script's own (never a test database), and
gunicorn started from a generated module and stopped with its whole process group.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    """Until gunicorn answers ``/login`` on ``port``; raises if it exits or never answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + Path(proc.log).read_text(errors="replace"))
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def ensure_postgres_database(url: str) -> None:
    """Create the database of ``url`` if missing. Refuses ``postgres`` and the test
    databases (``perfforms_test…``): the benchmarks drop every table of theirs."""
    import psycopg
    parsed = urllib.parse.urlparse(url.replace("postgresql+psycopg://", "postgresql://"))
    name = parsed.path.lstrip("/")
    if name in ("postgres", "") or name.startswith("perfforms_test"):
        raise SystemExit(f"refusing to benchmark on database {name!r}: use a database of its own")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def gunicorn(workdir: Path, module: str, env: dict, *, workers: int = 2, threads: int = 1) -> Iterator[subprocess.Popen]:
    """Serve ``module:app`` (a module in ``workdir``) on a free loopback port.

    Yields the master process; its ``port`` attribute is the port, ``log`` the file
    its stderr goes to (a file, not a pipe: a pipe nobody reads would block the
    workers once full, e.g. of tracebacks under load). ``threads`` > 1
    selects the ``gthread`` worker class (keep-alive, several requests per process);
    otherwise gunicorn's default sync workers, as in production (README).
    """
    port = free_port()
    env = {**os.environ, **env,
           "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--log-level", "warning", "--chdir", str(workdir)]
    if threads > 1:
        command += ["--threads", str(threads)]
    command.append(f"{module}:app")
    log = workdir / f"gunicorn-{port}.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                                start_new_session=True)
    proc.port, proc.log = port, log
    try:
        wait_for(port, proc)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
