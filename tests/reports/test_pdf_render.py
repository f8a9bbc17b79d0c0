"""Where PDFs render (issue 13): in the caller's thread by default, in niced render
processes of their own under gunicorn (``PDF_RENDER_ISOLATION=process``, set by
gunicorn.conf.py). Same PDF either way; errors cross the process boundary as the same
exceptions; a dead, stuck or forked-away render process never breaks the next request.
The effect on the pages is measured by bench/bench_pdf_pages.py, not here."""
from __future__ import annotations

import os
import runpy
import signal
import threading
from pathlib import Path

import pytest

from core.extensions import db
from core.reports import pdf
from tests.reports.conftest import BOYE_4, fonts_drawing_text, pdf_fonts, pdf_text, sign_in

ROOT = Path(__file__).resolve().parents[2]
PDF_SETTINGS = ("PDF_RENDER_ISOLATION", "PDF_RENDER_CONCURRENCY", "PDF_RENDER_NICE", "PDF_RENDER_TIMEOUT",
                "PDF_CACHE_MB", "PDF_CACHE_DIR")


@pytest.fixture
def isolated(monkeypatch):
    """Renders in render processes (as under gunicorn.conf.py); stopped afterwards."""
    for name in PDF_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDF_RENDER_ISOLATION", "process")
    yield
    pdf.stop_render_processes()


def html_of(body: str) -> str:
    fonts = pdf.font_urls()
    return (f'<html><head><style>@font-face {{ font-family: NotoSansSC; src: url("{fonts["regular"]}"); }}'
            'body { font-family: NotoSansSC; } td { border: 1px solid #000; padding: 8pt; }</style></head>'
            f"<body>{body}</body></html>")


TOO_TALL = html_of("<table>" + "".join(
    f"<tr>{'<td rowspan=80>类别</td>' if i == 0 else ''}<td>指标{i}</td></tr>" for i in range(80)) + "</table>")


def render_process() -> "pdf._RenderProcess":
    """The (only) idle render process of this test's pool."""
    pool = pdf._process_pool(1, int(pdf.setting("PDF_RENDER_NICE")))
    workers = [w for w in pool.idle.queue if w is not None]
    assert len(workers) == 1
    return workers[0]


def test_default_renders_in_the_callers_thread(monkeypatch):
    for name in PDF_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    body = pdf.html_to_pdf(html_of("<p>线程内渲染</p>"))
    assert "线程内渲染" in pdf_text(body)
    assert not pdf._pools  # no render process was started


def test_a_render_process_makes_the_same_pdf(isolated):
    html = html_of("<table><tr><td></td><td>中文 ≥ 90% ⩾</td></tr></table>")
    here, there = pdf.render_here(html), pdf.html_to_pdf(html)
    assert pdf._pools  # it did go to a render process
    assert pdf_text(there) == pdf_text(here) and "中文 ≥ 90% ≥" in pdf_text(there)
    fonts = pdf_fonts(there)
    assert fonts and all(fonts.values()) and all("NotoSansSC" in f for f in fonts), fonts
    assert all("NotoSansSC" in f for f in fonts_drawing_text(there))


def test_the_render_process_is_niced_and_reused(isolated, monkeypatch):
    monkeypatch.setenv("PDF_RENDER_NICE", "7")
    pdf.html_to_pdf(html_of("<p>一</p>"))
    first = render_process().process.pid
    with open(f"/proc/{first}/stat") as stat:
        nice = int(stat.read().rsplit(")", 1)[1].split()[16])
    assert nice == os.nice(0) + 7 or nice == 19  # relative to ours, capped at 19
    pdf.html_to_pdf(html_of("<p>二</p>"))
    assert render_process().process.pid == first


def test_too_tall_and_other_errors_cross_the_process_boundary(isolated, app, client, demo):
    with pytest.raises(pdf.PdfTooTall):
        pdf.html_to_pdf(TOO_TALL)
    pid = render_process().process.pid
    assert "之后" in pdf_text(pdf.html_to_pdf(html_of("<p>之后</p>")))  # the same process goes on
    assert render_process().process.pid == pid
    # and a download through the view, the setting from the app's config
    app.config["PDF_RENDER_ISOLATION"] = "process"
    sign_in(client, "boye_filer")
    response = client.get(f"/projects/{demo[BOYE_4]}/forms/goal.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert "劳务派遣人员工资及保险" in pdf_text(response.data)


def test_a_killed_render_process_is_replaced(isolated):
    pdf.html_to_pdf(html_of("<p>一</p>"))
    worker = render_process()
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait(10)
    assert "二" in pdf_text(pdf.html_to_pdf(html_of("<p>二</p>")))
    assert render_process().process.pid != worker.process.pid


def test_a_render_over_its_time_fails_and_the_next_one_works(isolated, monkeypatch):
    pdf.html_to_pdf(html_of("<p>预热</p>"))
    stuck = render_process()
    monkeypatch.setenv("PDF_RENDER_TIMEOUT", "0.001")
    with pytest.raises(pdf.PdfError, match="longer than"):
        pdf.html_to_pdf(TOO_TALL.replace("rowspan=80", ""))
    assert stuck.process.wait(10) is not None  # killed, not left rendering
    monkeypatch.setenv("PDF_RENDER_TIMEOUT", "60")
    assert "之后" in pdf_text(pdf.html_to_pdf(html_of("<p>之后</p>")))


def test_renders_wait_for_the_render_process_in_their_threads(isolated):
    """PDF_RENDER_CONCURRENCY=1: eight threads at once share one render process."""
    bodies, errors = [], []

    def download(n: int) -> None:
        try:
            bodies.append(pdf_text(pdf.html_to_pdf(html_of(f"<p>第{n}份</p>"))).strip())
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=download, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and sorted(bodies) == sorted(f"第{n}份" for n in range(8))
    assert len(pdf._pools) == 1 and render_process().alive()


def test_a_forked_child_does_not_use_its_parents_render_process(isolated):
    """An RQ work horse is forked from a process that may have a render process: the
    child must not talk on its parent's socket (their messages would interleave)."""
    pdf.html_to_pdf(html_of("<p>父</p>"))
    parent_worker = render_process()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 0 if not pdf._pools else 1
        try:
            code = code or (0 if "子" in pdf_text(pdf.html_to_pdf(html_of("<p>子</p>"))) else 2)
            pdf.stop_render_processes()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert parent_worker.alive() and "父" in pdf_text(pdf.html_to_pdf(html_of("<p>父</p>")))
    assert render_process() is parent_worker


def test_gunicorn_conf(app, monkeypatch):
    """gthread workers, one per CPU, rendering in render processes; no more threads than
    the database pool has connections, so a thread never waits for one."""
    # the file sets its PDF defaults in os.environ: into a copy, not this process's environment
    environ = {k: v for k, v in os.environ.items() if k not in PDF_SETTINGS + ("WEB_CONCURRENCY",)}
    monkeypatch.setattr(os, "environ", environ)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["worker_class"] == "gthread"
    assert conf["workers"] == len(os.sched_getaffinity(0))
    assert environ["PDF_RENDER_ISOLATION"] == "process" and environ["PDF_RENDER_CONCURRENCY"] == "1"
    assert int(environ["PDF_CACHE_MB"]) > 0
    with app.app_context():
        pool = db.engine.pool
        if hasattr(pool, "size"):  # QueuePool (a file SQLite database, PostgreSQL)
            assert conf["threads"] <= pool.size() + pool._max_overflow
