"""HTML → PDF with xhtml2pdf and the embedded Noto Sans SC subset.

Two silent failures of xhtml2pdf 0.2.28 are guarded here (shared/TECH-NOTES.md):

- without a resource policy that lets it read ``fonts/``, it falls back to
  Helvetica and still returns ``err=0`` — every Chinese character blank. We pass
  ``ResourceAccessPolicy.server(base_dir=FONT_DIR, extra_roots=(FONT_DIR,))`` and,
  after rendering, refuse a PDF that does not embed our font (:class:`PdfError`);
- the PDF must not depend on the viewer's fonts: only TrueType-outline fonts
  embed, hence the subset in ``fonts/`` (see ``fonts/README.md``).

The rendered HTML comes from our own templates with Jinja autoescaping, so user
text is never markup; remote fetches are off all the same.
"""
from __future__ import annotations

import io
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus.doctemplate import LayoutError
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus.tables import CellStyle
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONTS = {"regular": FONT_DIR / "NotoSansSC-Regular.ttf", "bold": FONT_DIR / "NotoSansSC-Bold.ttf"}
FONT_MARKER = b"NotoSansSC"
#: Part of the PDF cache's key (core/reports/pdf_cache.py): raise it when a change here
#: changes the bytes rendered from the same HTML.
RENDER_VERSION = 1

# reportlab starts every page with the canvas's initial font, and sets a table cell's
# default font before drawing even an empty cell — both Helvetica, which then shows
# in the PDF as an unembedded font although no glyph uses it. During our renders both
# defaults are the embedded subset instead (restored afterwards, under a lock).
_BASE_FONT = "PerfformsNotoSansSC"
_lock = threading.Lock()
_registered = False


# Characters our subset lacks that have an everyday equivalent it has (the subset is
# GB2312-based; see fonts/README.md). Anything else missing prints as a box.
GLYPH_FALLBACK = str.maketrans({"⩾": "≥", "⩽": "≤", "▸": "▶", "✔": "√", "✘": "×", "ı": "i"})


#: The most table rows one merged cell may span in a PDF. ReportLab breaks a table
#: only between rows no rowspan crosses; ten indicator rows of two or three lines each
#: stay well inside an A4 page, so longer categories repeat their cell.
MAX_ROWSPAN = 10


class PdfError(RuntimeError):
    """The PDF could not be made (or would have printed without its Chinese font)."""


class PdfTooTall(PdfError):
    """Some table row, or block of rows joined by a rowspan, is taller than a page.

    ReportLab cannot break a row that a rowspan crosses (the 一级/二级指标 cells of the
    goal grid span their rows), so a very long text in one cell, or a few dozen rows
    under one category, cannot be laid out. That is the filer's content, not a server
    fault: the views answer with a page saying so (tests/security/test_hostile_input.py).
    """


def font_urls() -> dict[str, str]:
    """The font files as the templates' ``@font-face`` rules name them."""
    return {name: path.as_posix() for name, path in FONTS.items()}


def _policy() -> ResourceAccessPolicy:
    return ResourceAccessPolicy.server(base_dir=FONT_DIR, extra_roots=(FONT_DIR,), allow_remote=False)


def _register_base_font() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(_BASE_FONT, str(FONTS["regular"])))
        _registered = True


def html_to_pdf(html: str) -> bytes:
    """Render ``html`` (from a ``templates/pdf`` template) to PDF bytes.

    Where it runs is :func:`render`'s business (under gunicorn a low-priority render
    process, see the module's end); a cache of finished PDFs (:mod:`pdf_cache`)
    answers an identical document without rendering it again.

    :raises PdfError: xhtml2pdf reported errors, or the CJK font is not embedded.
    :raises PdfTooTall: a table row, or block of rows joined by a rowspan, is taller than a page.
    """
    from core.reports import pdf_cache
    return pdf_cache.cached(html, render)


def render_here(html: str) -> bytes:
    """Render in this process and thread (under the lock that guards reportlab's defaults)."""
    out = io.BytesIO()
    with _lock:
        _register_base_font()
        previous = rl_config.canvas_basefontname, CellStyle.fontname
        rl_config.canvas_basefontname = CellStyle.fontname = _BASE_FONT
        try:
            status = pisa.CreatePDF(html.translate(GLYPH_FALLBACK), dest=out, encoding="utf-8", resource_policy=_policy())
        except LayoutError as error:
            raise PdfTooTall(str(error)[:200]) from None
        except TypeError as error:
            # ReportLab 5.1 fails with this TypeError while *describing* a LayoutError
            # (Table._culprit compares None row heights); anything else is re-raised.
            if "_culprit" not in "".join(traceback.format_tb(error.__traceback__)):
                raise
            raise PdfTooTall("a table row is taller than the page") from None
        finally:
            rl_config.canvas_basefontname, CellStyle.fontname = previous
    pdf = out.getvalue()
    if status.err:
        raise PdfError(f"xhtml2pdf reported {status.err} error(s)")
    # With the initial font switched, a built-in font appears only if some text fell back to it.
    if FONT_MARKER not in pdf or b"/BaseFont /Helvetica" in pdf:
        raise PdfError("the Chinese font was not embedded (xhtml2pdf fell back to a built-in font)")
    return pdf


# ------------------------------------------------------- where renders run --------
#
# xhtml2pdf is pure Python: a render is ~0.2–0.4 s of one core holding the GIL. Run in
# a web worker's own threads, eight downloads leave the pages of that worker waiting
# for the GIL — and, with sync workers, for the worker itself (issue 13). So the web
# server (gunicorn.conf.py sets ``PDF_RENDER_ISOLATION=process``) hands each render to
# a render process of the web process's own — a fresh interpreter started on first use
# (nothing forked from a threaded worker), at a lower CPU priority (``nice``), one render
# at a time each. The request's thread waits on a socket without holding the GIL; the
# kernel gives the CPU to page requests first and the rest to the renders, so PDF
# throughput is what the cores leave over (bench/bench_pdf_pages.py measures both).
# Elsewhere — tests, scripts, the RQ worker's ZIP export, where nobody waits on a page —
# renders stay in the caller's thread, as before.
#
# Settings — the app's config when a Flask app is active, else the environment:
#
# ``PDF_RENDER_ISOLATION``   ``thread`` (default: render in the caller's thread) or
#                            ``process`` (in a render process, as the web server does)
# ``PDF_RENDER_CONCURRENCY`` renders at once per web process (default 1): the number of
#                            render processes; more requests wait for one, in their
#                            threads. (Renders in the caller's thread are one at a time
#                            per process whatever it says: ``_lock`` guards reportlab's
#                            global defaults.)
# ``PDF_RENDER_NICE``        the render processes' niceness (default 19: measured, pages
#                            kept closer to their floor than at 10, PDFs/s the same —
#                            the renders only ever compete with this server's own pages)
# ``PDF_RENDER_TIMEOUT``     seconds a render may take in a render process before that
#                            process is killed and the request fails with
#                            :class:`PdfError` (default 120)

_DEFAULTS = {"PDF_RENDER_ISOLATION": "thread", "PDF_RENDER_CONCURRENCY": "1", "PDF_RENDER_NICE": "19",
             "PDF_RENDER_TIMEOUT": "120"}


def setting(name: str, default: str | None = None) -> str:
    """``name`` from the active app's config, else the environment, else the default."""
    from flask import current_app, has_app_context

    value = current_app.config.get(name) if has_app_context() else None
    if value is None or value == "":
        value = os.environ.get(name)
    if value is None or value == "":
        value = _DEFAULTS.get(name, default)
    return str(value)


def render(html: str) -> bytes:
    """Render ``html`` where the settings say: here (default) or in a render process."""
    if setting("PDF_RENDER_ISOLATION").strip().lower() == "process":
        pool = _process_pool(max(1, int(setting("PDF_RENDER_CONCURRENCY"))), int(setting("PDF_RENDER_NICE")))
        return pool.render(html, float(setting("PDF_RENDER_TIMEOUT")))
    return render_here(html)


_pools: dict = {}
_pools_lock = threading.Lock()


def _process_pool(size: int, nice: int) -> "_RenderPool":
    """This process's pool of render processes."""
    with _pools_lock:
        pool = _pools.get((size, nice))
        if pool is None:
            pool = _pools[(size, nice)] = _RenderPool(size, nice)
        return pool


def stop_render_processes() -> None:
    """Stop this process's render processes (new ones start when next needed)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.stop()


def _forget_pools() -> None:
    """In a forked child (an RQ work horse, say), the parent's pipes are not ours to use."""
    global _pools_lock
    _pools_lock = threading.Lock()
    for pool in _pools.values():
        pool.abandon()
    _pools.clear()


os.register_at_fork(after_in_child=_forget_pools)


class _RenderPool:
    """``size`` render processes, each started when first needed; a thread takes an idle
    one (or waits for one: the per-process limit on concurrent renders) for one render."""

    def __init__(self, size: int, nice: int):
        self.nice = nice
        self.idle: queue.LifoQueue = queue.LifoQueue()  # the last used (warm) process first
        for _ in range(size):
            self.idle.put(None)

    def render(self, html: str, timeout: float) -> bytes:
        worker = self.idle.get()
        try:
            if worker is None or not worker.alive():
                worker = _RenderProcess(self.nice)
            return worker.render(html, timeout)
        except _RenderProcessLost:
            worker = None
            raise
        finally:
            self.idle.put(worker)

    def abandon(self) -> None:
        self._each(lambda worker: worker.abandon())

    def stop(self) -> None:
        """Stop the idle render processes (one busy now is stopped by its thread's timeout or ends with us)."""
        self._each(lambda worker: worker.stop())

    def _each(self, action) -> None:
        """``action`` on every idle render process, its slot left free for a new one."""
        taken = []
        while True:
            try:
                taken.append(self.idle.get_nowait())
            except queue.Empty:
                break
        for worker in taken:
            if worker is not None:
                action(worker)
            self.idle.put(None)


class _RenderProcessLost(PdfError):
    """The render process died or overran its time; a new one renders the next request."""


class _RenderProcess:
    """One render process: :func:`render_here` behind a socket, in a fresh interpreter
    (``python -c``: nothing of the web process is forked or re-imported, whatever its
    main module is). It stays in the web process's session — so its ``nice`` ranks it
    below the workers' page threads even where the kernel groups CPU time by session
    (autogroup) — exits when the socket closes (its web process ended, even by
    SIGKILL) and ignores Ctrl-C, which a terminal sends to the whole group."""

    def __init__(self, nice: int):
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "import sys; from core.reports.pdf import serve; serve(int(sys.argv[1]), "
                 "int(sys.argv[2]))", str(theirs.fileno()), str(nice)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env,
                close_fds=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())

    def alive(self) -> bool:
        return self.process.poll() is None

    def render(self, html: str, timeout: float) -> bytes:
        try:
            self.conn.send(html)
            if not self.conn.poll(timeout):
                self.stop()
                raise _RenderProcessLost(f"rendering the PDF took longer than {timeout:g} s")
            kind, payload = self.conn.recv()
        except (EOFError, OSError):
            self.stop()
            raise _RenderProcessLost(f"the PDF render process ended (exit code {self.process.returncode})") from None
        if kind == "ok":
            return payload
        if kind == "PdfTooTall":
            raise PdfTooTall(payload)
        if kind == "PdfError":
            raise PdfError(payload)
        raise PdfError(f"rendering failed in the render process:\n{payload}")

    def stop(self) -> None:
        self.conn.close()
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def abandon(self) -> None:
        """Close our copy of the socket without touching the process (it is the parent's)."""
        self.conn.close()


_WARM_UP_HTML = """<html><head><style>
@font-face { font-family: NotoSansSC; src: url("%(regular)s"); }
@font-face { font-family: NotoSansSC; src: url("%(bold)s"); font-weight: bold; }
body { font-family: NotoSansSC; }</style></head>
<body><table><tr><td>预热</td><td><b>预热</b></td></tr></table></body></html>"""


def serve(fd: int, nice: int) -> None:
    """The render process's loop: HTML in, ("ok", PDF bytes) or (error kind, message) out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(fd)
    if nice:
        os.nice(nice)
    try:  # pay the font parsing before the first request does
        render_here(_WARM_UP_HTML % font_urls())
    except Exception:  # noqa: BLE001 - the first real render reports whatever is wrong
        pass
    while True:
        try:
            html = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            answer = ("ok", render_here(html))
        except PdfError as error:
            answer = (type(error).__name__, str(error))
        except Exception:  # noqa: BLE001 - sent back to the web process, raised there
            answer = ("error", traceback.format_exc(limit=20))
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return
