"""Settings, read from the environment with safe defaults.

SQLite under ``instance/`` is the embedded default so the demo needs nothing else;
``DATABASE_URL`` selects PostgreSQL (``postgresql+psycopg://user@host/db``).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

MiB = 1024 * 1024


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the old driver; we ship psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return "sqlite:///" + str(Path(instance_path) / "perfforms.sqlite")


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once per instance.

    A random key per process would log everyone out at each restart and break
    sessions across gunicorn workers, so it is kept in the instance folder.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def default_config(instance_path: str) -> dict:
    """The configuration used unless ``create_app`` is given overrides."""
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "10")) * MiB,
        "BABEL_DEFAULT_LOCALE": "zh",
        "DISPLAY_TIMEZONE": os.environ.get("DISPLAY_TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ("zh", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        # The remember-me cookie (unused today) gets the session cookie's protections.
        "REMEMBER_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_HOURS", "8")) * 3600,
        # Logged out after this long without a request (core/auth/sessions.py).
        "IDLE_TIMEOUT_SECONDS": int(os.environ.get("IDLE_MINUTES", "60")) * 60,
        "WTF_CSRF_TIME_LIMIT": None,  # forms stay open for hours while a filer types
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Background jobs (core/jobs/): RQ on this Redis; without it jobs run in the web process.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "EXPORT_DIR": os.environ.get("EXPORT_DIR", ""),
        # Extra plugin modules to load by import path (besides entry points).
        "PLUGINS": [p for p in os.environ.get("PERFFORMS_PLUGINS", "").split(",") if p],
    }
