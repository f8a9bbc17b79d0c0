"""Integers from the URL, the query string and forms, bounded to what the database stores.

Ids are ``INTEGER`` columns: PostgreSQL refuses anything above 2^31 − 1 and SQLite
anything above 2^63 − 1, each with a server error. So no value outside
``1..MAX_ID`` reaches a query:

- every ``<int:…>`` in a route is :class:`IdConverter` (registered as ``int`` in
  ``create_app``): an id out of range matches no route, a 404 before any view runs;
- query and form parameters are read with :func:`int_arg`: missing gives the
  default, anything else that is not an integer in range is :class:`BadParameter`,
  a 400 naming the parameter (a page, or the API's JSON error with code
  ``not_integer`` or ``range``).
"""
from __future__ import annotations

import re
from typing import Mapping

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

#: The largest id PostgreSQL's ``integer`` holds (SQLite's ``INTEGER`` holds more).
MAX_ID = 2**31 - 1

_INTEGER = re.compile(r"[+-]?[0-9]+")
_SHOWN = 24  # characters of a refused value repeated in the message


def up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 1..``limit`` (no sign, no leading zero)."""
    digits = str(limit)
    options = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:  # this position smaller, the ones after it anything
            options.append(f"{digits[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}")
    return "(?:" + "|".join([*options, digits]) + ")"


class IdConverter(IntegerConverter):
    """``<int:…>`` matching only 1..MAX_ID.

    The bound is in the pattern itself, not only in ``to_python``: a path whose id is
    too large then matches no rule at all and is a 404 (Werkzeug answers 405 when a
    rule of the path was passed over for its method and another fails to convert).
    A rule's own ``min``/``max``/``signed`` are checked after matching, as Werkzeug does.
    """

    regex = up_to(MAX_ID)

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if (fixed_digits, min, max, signed) != (0, 1, MAX_ID, False):
            self.regex = r"-?\d+" if signed else r"\d+"


class BadParameter(BadRequest):
    """A query or form parameter that is not an integer in its range (400)."""

    def __init__(self, name: str, message: str, code: str):
        self.parameter, self.message, self.error_code = name, message, code
        super().__init__(message)


def is_id(text: str) -> bool:
    """``text`` is an id the database can hold: ASCII digits, 1..MAX_ID."""
    return bool(re.fullmatch(r"[0-9]{1,10}", text)) and 1 <= int(text) <= MAX_ID


def int_arg(name: str, default: int | None = None, low: int = 1, high: int = MAX_ID,
            args: Mapping[str, str] | None = None) -> int | None:
    """The integer parameter ``name`` of ``args`` (the query string unless given).

    :param default: returned when the parameter is absent or empty.
    :param low: smallest value accepted (ids start at 1).
    :param high: largest value accepted (at most what the database stores).
    :param args: where to read it: ``request.form``, ``request.values``.
    :raises BadParameter: the value is not an integer, or outside ``low..high``.
    """
    text = (request.args if args is None else args).get(name)
    if text is None or not text.strip():
        return default
    text = text.strip()
    shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    if not _INTEGER.fullmatch(text):
        raise BadParameter(name, _("参数 %(name)s 须为整数，收到「%(value)s」。", name=name, value=shown),
                           "not_integer")
    value = int(text) if len(text) <= _SHOWN else None  # int() refuses 4,300 digits and more
    if value is None or not low <= value <= high:
        raise BadParameter(name, _("参数 %(name)s 须在 %(low)s 到 %(high)s 之间，收到 %(value)s。",
                                   name=name, low=low, high=high, value=shown), "range")
    return value
