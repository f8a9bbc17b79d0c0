"""How long the target parser and the expression evaluator take on hostile input.

Run: python bench/bench_parsers.py
Prints, per input, the time per call and its ratio to parsing a plain target
(``≥90%``) / evaluating a plain expression (``a + b``) measured in the same run,
so a pathological input that explodes (regex backtracking, deep recursion) shows
as a ratio in the thousands instead of a single-digit factor.
"""
from __future__ import annotations

import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.definitions.expressions import ExpressionError, compile_expression  # noqa: E402
from core.definitions.targets import TargetParseError, parse_target  # noqa: E402

TARGETS = ["≥" + "9" * 9999, "9" * 200, "一" * 200, "≥1" + "人" * 198, "8月" * 100, "≥" + "9," * 99]
EXPRESSIONS = ["(" * 5000 + "1" + ")" * 5000, "-" * 100000 + "1", "1+" * 3000 + "1", "9**9**9",
               "x" * 10000, "().__class__.__bases__"]


def per_call(function, number: int) -> float:
    return min(timeit.repeat(function, number=number, repeat=5)) / number


def attempt(function, error):
    def run():
        try:
            function()
        except error:
            pass
    return run


def main() -> None:
    base = per_call(lambda: parse_target("≥90%"), 2000)
    print(f"target parser baseline ≥90%: {base * 1e6:8.1f} µs")
    for text in TARGETS:
        t = per_call(attempt(lambda: parse_target(text), TargetParseError), 200)
        print(f"  {text[:24]!r:30} {t * 1e6:8.1f} µs  ×{t / base:7.1f}")
    base = per_call(lambda: compile_expression("a + b").evaluate({"a": 1, "b": 2}), 2000)
    print(f"expression baseline a + b (compile + evaluate): {base * 1e6:8.1f} µs")
    for source in EXPRESSIONS:
        t = per_call(attempt(lambda: compile_expression(source).evaluate({"x": 1}), ExpressionError), 20)
        print(f"  {source[:24]!r:30} {t * 1e6:8.1f} µs  ×{t / base:7.1f}")


if __name__ == "__main__":
    main()
