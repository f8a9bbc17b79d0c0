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
