"""Errors in definitions and in filled-in data, as values users read.

Every error names *where* (a JSON path such as ``sections[2].fields[4].min`` or a
data path such as ``indicators[3].target``) and *what* is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found at one place.

    :param path: where, as a JSON path (``sections[0].fields[2].type``) or a data
        path (``fields.budget_total``, ``indicators[3].target``).
    :param message: what is wrong, in the user's language (Chinese by default).
    :param code: a stable machine-readable id (``required``, ``min``, ``sum_mismatch``…).
    """

    path: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DefinitionInvalid(ValueError):
    """A definition failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
