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
