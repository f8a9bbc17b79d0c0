"""Language selection and bilingual labels from definitions."""
from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale


def current_lang() -> str:
    if not has_request_context():
        return "zh"
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def label(value, lang: str | None = None) -> str:
    """The text of a definition label ``{"zh": …, "en": …}`` in the user's language.

    English falls back to Chinese: ``zh`` is the only required key.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    lang = lang or current_lang()
    return value.get(lang) or value.get("zh") or ""


def localtime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the installation's time zone (``DISPLAY_TIMEZONE``, Asia/Shanghai).

    SQLite hands back naive datetimes; they were written as UTC, so they are read as UTC.
    """
    from datetime import timezone
    from zoneinfo import ZoneInfo

    from flask import current_app

    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Shanghai"))
    return value.astimezone(zone).strftime(fmt)
