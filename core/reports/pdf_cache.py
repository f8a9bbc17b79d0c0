"""Finished PDFs on disk, keyed by everything that decides their bytes.

The key is a SHA-256 of the *complete HTML* handed to xhtml2pdf plus the versions of
what turns it into PDF (the font files' digest, xhtml2pdf's and reportlab's versions,
:data:`core.reports.pdf.RENDER_VERSION`). So a cached PDF is served only for a
document that would render to the same bytes:

- a draft edited since — different HTML, a new render (never a stale PDF);
- a form whose state, revision or language changed — different HTML;
- the same approved form downloaded again — the same HTML *as long as its printed
  time* (「打印时间」, to the minute, part of every PDF) *is the same*: a printout made a
  minute later says so, and is rendered again. A key of submission id + lock_version
  + revision would hand out last week's printout with last week's time on it;
- a user gets a cached PDF only for HTML their own request produced, after its own
  access checks: the key is not a capability, and nothing is shared across users
  that they could not already see.

What it buys: the same document asked for again within the minute — a double click,
a download retried, a reviewer and a filer opening the form together, the same form
in a ZIP export — is read from disk instead of rendered (~0.3 s of CPU). Threads of
one process asking for the same document at once render it once (the others wait
for it). Other processes may render it once each at the same moment: harmless.

Bounded: ``PDF_CACHE_MB`` (default 0: off; gunicorn.conf.py sets 64 for the web
server) — after a write, the least recently used files go until the folder is under
90% of the limit. Off elsewhere: tests and scripts render what they ask for.
Where: ``PDF_CACHE_DIR``, default ``<instance folder>/pdf-cache``. Both are read
like the render settings (:func:`core.reports.pdf.setting`): the app's config, else
the environment. Without an app (a script) there is no instance folder and no cache
unless ``PDF_CACHE_DIR`` names one.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

DEFAULT_MB = 0
MiB = 1024 * 1024
SUFFIX = ".pdf"

_key_locks: dict[str, threading.Lock] = {}
_key_locks_guard = threading.Lock()
_salt: bytes | None = None


def cached(html: str, render: Callable[[str], bytes]) -> bytes:
    """The PDF of ``html``: from the cache, or ``render(html)`` and stored."""
    folder, limit = _location()
    if folder is None:
        return render(html)
    key = hashlib.sha256(_version_salt() + html.encode("utf-8")).hexdigest()
    path = folder / key[:2] / (key + SUFFIX)
    body = _read(path)
    if body is not None:
        return body
    try:
        with _lock_for(key):  # the same document asked for by several threads: one render
            body = _read(path)
            if body is not None:
                return body
            body = render(html)
            _write(path, body)
    finally:
        _release(key)
    _trim(folder, limit)
    return body


def _location() -> tuple[Path | None, int]:
    from core.reports.pdf import setting

    limit = int(float(setting("PDF_CACHE_MB", str(DEFAULT_MB))) * MiB)
    if limit <= 0:
        return None, 0
    folder = setting("PDF_CACHE_DIR", "")
    if not folder:
        from flask import current_app, has_app_context
        if not has_app_context():
            return None, 0
        folder = os.path.join(current_app.instance_path, "pdf-cache")
    return Path(folder), limit


def _version_salt() -> bytes:
    """What besides the HTML decides the bytes: fonts, libraries, our render code."""
    global _salt
    if _salt is None:
        import reportlab
        import xhtml2pdf

        from core.reports import pdf
        digest = hashlib.sha256()
        for name, font in sorted(pdf.FONTS.items()):
            digest.update(name.encode() + font.read_bytes())
        digest.update(f"{xhtml2pdf.__version__}|{reportlab.Version}|{pdf.RENDER_VERSION}|"
                      f"{sorted(pdf.GLYPH_FALLBACK.items())}".encode())
        _salt = digest.digest()
    return _salt


def _lock_for(key: str) -> threading.Lock:
    with _key_locks_guard:
        return _key_locks.setdefault(key, threading.Lock())


def _release(key: str) -> None:
    with _key_locks_guard:
        lock = _key_locks.get(key)
        if lock is not None and not lock.locked():
            del _key_locks[key]


def _read(path: Path) -> bytes | None:
    try:
        body = path.read_bytes()
    except OSError:
        return None
    # Written whole or not at all (rename), but a truncated file must never be served.
    if not body.startswith(b"%PDF-") or b"%%EOF" not in body[-64:]:
        return None
    try:
        os.utime(path)  # least recently *used* goes first
    except OSError:
        pass
    return body


def _write(path: Path, body: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        pass  # a full or read-only disk costs a render next time, never the download


def _trim(folder: Path, limit: int) -> None:
    """Delete the least recently used PDFs until the folder holds under 90% of ``limit``."""
    entries, total = [], 0
    try:
        for sub in os.scandir(folder):
            if not sub.is_dir():
                continue
            for entry in os.scandir(sub.path):
                try:
                    stat = entry.stat()
                except OSError:
                    continue
                if entry.name.endswith(".tmp") and stat.st_mtime > time.time() - 3600:
                    total += stat.st_size  # being written now (an abandoned one goes after an hour)
                    continue
                entries.append((stat.st_mtime, stat.st_size, entry.path))
                total += stat.st_size
    except OSError:
        return
    if total <= limit:
        return
    for _mtime, size, name in sorted(entries):
        if total <= limit * 0.9:
            break
        try:
            os.unlink(name)
            total -= size
        except OSError:
            pass
