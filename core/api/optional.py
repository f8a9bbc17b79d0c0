"""The survey's satisfaction result (``survey.satisfaction_result``), from a package
that is installed beside core but not part of it (core never imports it), and
``jsonable`` for results as JSON.

The function is looked up when needed, so the API works without the survey package.
Only the *absence* of the module or function is tolerated; an error inside it is not
hidden.
"""
from __future__ import annotations

import dataclasses
import importlib
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Callable, Mapping

SATISFACTION_FUNCTION = ("survey", "satisfaction_result")


def optional_function(module_name: str, attribute: str) -> Callable | None:
    """``module_name.attribute`` if that module exists and defines it, else None."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # Only "the module is not there": a missing import *inside* it is a bug to show.
        if error.name and (module_name == error.name or module_name.startswith(error.name + ".")):
            return None
        raise
    function = getattr(module, attribute, None)
    return function if callable(function) else None


def satisfaction_function() -> Callable | None:
    return optional_function(*SATISFACTION_FUNCTION)


def jsonable(value: Any) -> Any:
    """A result object as JSON: ``as_dict()`` if it has one, dataclasses as dicts,
    Decimals as strings (exact), dates in ISO 8601."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return jsonable(value.value)
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):
        return jsonable(as_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)
