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


def display_zone():
    """The installation's time zone (``DISPLAY_TIMEZONE``, default Asia/Shanghai)."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    return ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Shanghai"))


def display_time(value):
    """A stored UTC time as a *naive* datetime in the display zone, or None.

    What a spreadsheet cell holds (XLSX has no time zones: the header says which
    zone). SQLite hands back naive datetimes; they were written as UTC, so they are
    read as UTC.
    """
    from datetime import timezone

    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(display_zone()).replace(tzinfo=None)


def localtime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the installation's time zone (``DISPLAY_TIMEZONE``, Asia/Shanghai).

    SQLite hands back naive datetimes; they were written as UTC, so they are read as UTC.
    """
    if value is None:
        return ""
    return display_time(value).strftime(fmt)


def today():
    """Today's date in the display zone (not the server's clock: 00:30 in Beijing is
    still yesterday in UTC)."""
    from datetime import datetime

    return datetime.now(display_zone()).date()


def zone_label(lang: str | None = None) -> str:
    """How the display time zone is named next to a printed time (北京时间 for Asia/Shanghai).

    :param lang: ``"zh"`` for a Chinese text whatever the reader's language (an
        export's Chinese column headers); default: the reader's language.
    """
    from flask import current_app
    from flask_babel import gettext

    zone = current_app.config.get("DISPLAY_TIMEZONE", "Asia/Shanghai")
    if zone not in ("Asia/Shanghai", "Asia/Chongqing", "PRC"):
        return zone
    return "北京时间" if lang == "zh" else gettext("北京时间")
