"""HTTP security headers applied to every response."""
from __future__ import annotations

from flask import Flask, g, request, session

# Everything is served from this host: no CDN is reachable on government networks,
# and a strict policy makes an injected <script> inert.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

HSTS = "max-age=31536000; includeSubDomains"


def install_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            # Served over HTTPS (the secure cookie says so): browsers must keep to HTTPS.
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static" and _authenticated():
            # Pages with someone's data must not stay in a shared computer's cache.
            response.headers["Cache-Control"] = "no-store"
        return response

    from core.auth.sessions import install_session_limits  # idle timeout and absolute lifetime

    install_session_limits(app)


def _authenticated() -> bool:
    """A logged-in session or an API token: the response is someone's data."""
    return "_user_id" in session or getattr(g, "api_user", None) is not None


# ------------------------------------------------------------------ NUL in input ---

def nul_path(value, path: str = "") -> str | None:
    """Where ``value`` (text, or JSON-like lists and dicts) holds a NUL character, or None.

    PostgreSQL cannot store U+0000 in a text column (psycopg raises ``DataError``), so
    a request carrying one would fail with a server error on PostgreSQL yet be stored
    on SQLite. No field has a use for it: such input is refused with a clear message
    before any view sees it (tests/security/test_hostile_input.py). Iterative, so a
    deeply nested JSON body cannot exhaust the stack.
    """
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and "\x00" in key:
                    return where
                stack.append((f"{where}.{key}" if where else str(key), child))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))
    return None


def nul_message() -> str:
    from flask_babel import gettext as _

    return _("提交的内容含有空字符（NUL），无法保存。请删除该字符后重试。")


class NulInInput(Exception):
    """A request whose form fields, query string or path hold a NUL character."""

    def __init__(self, where: str):
        self.where = where
        super().__init__(where)


def install_input_guard(app: Flask) -> None:
    """Refuse form fields, query arguments and URL parts holding NUL (see :func:`nul_path`).

    JSON bodies are checked where they are parsed (``core/api/views.py``); uploaded
    files are data, not text fields, and are read by their own validators.
    """
    @app.before_request
    def _refuse_nul():
        if "\x00" in request.path:
            raise NulInInput("path")
        sources = [request.args] + ([request.form] if request.method in ("POST", "PUT", "PATCH") else [])
        for source in sources:
            for key, values in source.lists():  # plain strings: no need for nul_path's walk
                if "\x00" in key or any("\x00" in value for value in values):
                    raise NulInInput(key)
        return None
