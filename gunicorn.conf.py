"""gunicorn settings for production: ``gunicorn wsgi:app`` from the project folder reads
this file (``-c gunicorn.conf.py`` says so explicitly). Command-line flags and
``GUNICORN_CMD_ARGS`` override it; ``WEB_CONCURRENCY`` sets the number of workers; an
environment variable set before start wins over the PDF defaults below.

Why (issue 13; ``bench/bench_pdf_pages.py``, 2 cores, page latency while 8 clients
download goal PDFs, over the same server's pages-alone floor, SQLite / PostgreSQL):

- ``-w 4`` sync workers, as the README had it: eight downloads hold every worker and
  the pages queue behind them — page p50 ×96 / ×64, 1.3 s / 1.2 s;
- gthread workers, renders in the request's thread (option (a); the lock around
  reportlab's defaults already lets one render at a time per process): the pages get
  a thread but wait for the GIL the render holds — p50 ×4.9 / ×6.1, p99 ×5.9 / ×13;
- gthread workers, each rendering in a render process of its own at nice 19 (what is
  set here): the render never holds the workers' GIL and the kernel runs page requests
  first — p50 ×0.87 / ×1.04, p99 ×1.5 / ×0.9, with as many PDFs/s as before (6.1 / 4.8
  against 4.4 / 4.4) and less CPU per PDF (134 / 163 ms against 178 / 178).

One worker per CPU and one render process per worker: every core renders when no page
needs it, and no more renders run at once than there are cores (~70 MB per render
process). 12 threads: eight downloads landing on one worker still leave it threads for
pages, and no more requests hold a database connection at once than SQLAlchemy's pool
per process has (5 + 10 overflow), so no thread waits for one.

The PDF cache (``core/reports/pdf_cache.py``) keeps finished PDFs keyed by their
complete HTML, printed time included: only a repeat within the minute is a hit (then
~10 ms of CPU instead of ~150), never a stale printout.
"""
import os

# The web process's PDF settings (core/reports/pdf.py); the environment may override them.
os.environ.setdefault("PDF_RENDER_ISOLATION", "process")  # a niced render process per worker
os.environ.setdefault("PDF_RENDER_CONCURRENCY", "1")      # render processes per worker
os.environ.setdefault("PDF_CACHE_MB", "64")               # finished PDFs under instance/pdf-cache

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)))
threads = 12
# gthread: a worker is restarted when its main loop stops answering for this long (a
# slow request does not count); graceful restarts wait this long for requests in flight.
timeout = 30
graceful_timeout = 30
keepalive = 5
