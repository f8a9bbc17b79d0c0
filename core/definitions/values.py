"""Read one submitted value of one field: the browser's text → a typed value.

:func:`parse_value` knows each field type of the language: money ``1,234.50`` →
``Decimal("1234.50")``, percent ``25%`` → 25, yes/no ``是`` → True, dates
``2023年8月31日`` → ``2023-08-31``… and the per-field rules (min/max, max_length,
pattern, choices). It returns both the *normalised* value (JSON-safe, what is
stored) and the *variable* (what expressions see).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import Problem
from .messages import problem
from .model import Choice, Field

# thousands separators only in proper groups: "1,234.50" yes, "12,34" no
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|[+-]?\.[0-9]+")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_LIST_SEPARATORS = re.compile(r"[,;、，；]")
YES = frozenset({"yes", "y", "true", "1", "是", "on"})
NO = frozenset({"no", "n", "false", "0", "否", "off"})


@dataclass(frozen=True)
class Parsed:
    """One field's value: ``normalised`` is stored, ``variable`` feeds expressions."""

    normalised: Any
    variable: Any
    problem: Problem | None = None

    @property
    def empty(self) -> bool:
        return self.normalised in ("", [], None)


EMPTY = Parsed("", None)


def clean(text: str) -> str:
    """Strip blanks and turn Windows line ends into ``\n``; Chinese punctuation stays."""
    return text.replace("\r\n", "\n").strip()


def narrow(text: str) -> str:
    """NFKC: full-width ``１２，３４５．６`` typed with a Chinese input method → ``12,345.6``.
    Only for values read as numbers, dates and yes/no, never for free text."""
    return unicodedata.normalize("NFKC", text).strip()


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain JSON-safe text without exponent: ``10.09``, ``1234.50``."""
    return format(value, "f")


def parse_number(text: str, percent: bool = False) -> Decimal | None:
    """``"1,234.50"`` → 1234.50 (and ``"25%"`` → 25 when ``percent``); None if not a number."""
    text = narrow(text).replace(" ", "")
    if percent and text.endswith("%"):
        text = text[:-1]
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def _fail(field: Field, path: str, key: str, lang: str, typed: Any = "", **params: Any) -> Parsed:
    # the value stays as typed, so a saved draft shows it again next to its problem
    return Parsed(typed, None, problem(path, key, lang, label=field.label(lang), **params))


def _number(field: Field, text: str, path: str, lang: str) -> Parsed:
    value = parse_number(text, percent=field.type == "percent")
    if value is None:
        return _fail(field, path, "not_a_number", lang, text, value=text)
    if field.type == "integer" and value != value.to_integral_value():
        return _fail(field, path, "not_an_integer", lang, text, value=text)
    if field.type == "integer":
        value = value.quantize(Decimal(1))
    low, high = field.effective_min, field.effective_max
    if low is not None and value < low:
        key = "negative" if low == 0 and value < 0 else "below_min"
        return _fail(field, path, key, lang, text, min=decimal_text(low), value=decimal_text(value))
    if high is not None and value > high:
        return _fail(field, path, "above_max", lang, text, max=decimal_text(high), value=decimal_text(value))
    return Parsed(decimal_text(value), value)


def _text(field: Field, text: str, path: str, lang: str) -> Parsed:
    limit = field.effective_max_length
    if limit is not None and len(text) > limit:
        return _fail(field, path, "too_long", lang, text, max=limit, length=len(text))
    if field.pattern and not re.fullmatch(field.pattern, text):
        return _fail(field, path, "pattern_mismatch", lang, text, value=text)
    return Parsed(text, text)


def find_choice(choices: tuple[Choice, ...], text: str) -> Choice | None:
    """The choice whose value — or, for typed or imported data, label — is ``text``."""
    for choice in choices:
        if text in (choice.value, choice.label.zh, choice.label.en):
            return choice
    return None


def choice_list(choices: tuple[Choice, ...], lang: str) -> str:
    return "、".join(c.label(lang) for c in choices)


def _choice(field: Field, text: str, path: str, lang: str) -> Parsed:
    choice = find_choice(field.choices, text)
    if choice is None:
        return _fail(field, path, "not_a_choice", lang, text, value=text,
                     choices=choice_list(field.choices, lang))
    return Parsed(choice.value, choice.value)


def _multi_choice(field: Field, raw: Any, path: str, lang: str) -> Parsed:
    items = raw if isinstance(raw, list) else _LIST_SEPARATORS.split(clean(raw))
    values: list[str] = []
    for item in items:
        text = clean(str(item))
        if not text:
            continue
        choice = find_choice(field.choices, text)
        if choice is None:
            return _fail(field, path, "not_a_choice", lang, raw, value=text,
                         choices=choice_list(field.choices, lang))
        if choice.value not in values:
            values.append(choice.value)
    return Parsed(values, values) if values else EMPTY


def _yes_no(field: Field, text: str, path: str, lang: str) -> Parsed:
    lowered = narrow(text).lower()
    if lowered in YES:
        return Parsed("yes", True)
    if lowered in NO:
        return Parsed("no", False)
    return _fail(field, path, "not_yes_no", lang, text, value=text)


def _date(field: Field, text: str, path: str, lang: str) -> Parsed:
    match = _DATE.fullmatch(narrow(text))
    try:
        day = date(*(int(part) for part in match.groups())) if match else None
    except ValueError:  # 2023-02-30
        day = None
    if day is None:
        return _fail(field, path, "not_a_date", lang, text, value=text)
    return Parsed(day.isoformat(), day.isoformat())


def _matrix(field: Field, raw: Any, path: str, lang: str) -> Parsed:
    """``{row_id: choice}`` → the same with choice values; a required matrix needs every row."""
    if not isinstance(raw, dict):
        return _fail(field, path, "matrix_not_object", lang)
    rows = {row.id: row for row in field.rows}
    answers: dict[str, str] = {}
    for row_id, text in raw.items():
        if row_id not in rows:
            return _fail(field, path, "unknown_matrix_row", lang, raw, value=row_id)
        text = clean(text) if isinstance(text, str) else ""
        if not text:
            continue
        choice = find_choice(field.choices, text)
        if choice is None:
            return _fail(field, path, "not_a_choice", lang, raw, value=text,
                         choices=choice_list(field.choices, lang))
        answers[row_id] = choice.value
    if not answers:
        return EMPTY
    missing = [row for row in field.rows if row.id not in answers]
    if field.required and missing:
        return _fail(field, path, "matrix_incomplete", lang, answers, count=len(missing),
                     rows="、".join(row.label(lang) for row in missing))
    ordered = {row.id: answers[row.id] for row in field.rows if row.id in answers}
    return Parsed(ordered, Decimal(len(ordered)))


_BY_TYPE = {
    "integer": _number, "decimal": _number, "money": _number, "percent": _number,
    "text": _text, "textarea": _text, "file": _text, "signature": _text,
    "choice": _choice, "rating": _choice, "yes_no": _yes_no, "date": _date,
}


def parse_value(field: Field, raw: Any, path: str, lang: str = "zh") -> Parsed:
    """Parse the submitted ``raw`` value of ``field``; problems carry ``path``.

    Empty (``None``, ``""``, blanks) is :data:`EMPTY`: whether that is allowed is
    the caller's business (``required``/``required_if`` depend on other fields).
    Numbers and booleans sent by an API client are accepted as their text.
    """
    if raw is None:
        return EMPTY
    if isinstance(raw, list) and field.type == "multi_choice":
        return _multi_choice(field, raw, path, lang)
    if field.type == "matrix":
        return _matrix(field, raw, path, lang)
    if isinstance(raw, bool):
        raw = "yes" if raw else "no"
    elif isinstance(raw, (int, float, Decimal)):
        raw = str(raw)
    if not isinstance(raw, str):
        return _fail(field, path, "value_not_text", lang)
    text = clean(raw)
    if not text:
        return EMPTY
    if field.type == "multi_choice":
        return _multi_choice(field, text, path, lang)
    return _BY_TYPE[field.type](field, text, path, lang)
