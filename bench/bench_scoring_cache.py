"""Benchmark: a self-evaluation's scoring tree built cold, looked up in the app's cache, and used.

    python bench/bench_scoring_cache.py [rounds] [calls]

Issue 13 measured the tree rebuilt from its JSON on every use at 5.75× the cost of the
scoring itself. This compares, per call, inside one application (the plugins' rule
types and hooks, as a request has them):

* cold build — ``load_scoring(scoring_of(submission), registry)``, what every page paid;
* ``load_tree`` of a Futian submission — the definition's own 17 leaves, keyed by the
  published definition (one equality check with the definition's section);
* ``load_tree`` of a national-default submission instantiated from Futian's goal rows —
  keyed by a digest of its JSON;
* ``score_submission`` with the loaded tree — the scoring itself (Futian's figures,
  varied as in bench/bench_scoring.py).

Submissions are plain objects with the attributes the functions read (no database).
The four are timed in interleaved rounds of ``calls`` calls each, so all see the same
machine load; the figure is the median round, per call.
"""
from __future__ import annotations

import json
import random
import statistics
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_scoring import make_evaluation  # noqa: E402

from core.app import create_app  # noqa: E402
from core.plugins import TREES_KEY  # noqa: E402
from core.scoring import display, instantiate_from_goal, load_scoring  # noqa: E402
from core.selfeval.scoring import load_tree, registry, score_submission, scoring_of  # noqa: E402

FORMS = ROOT / "form_definitions"
PUBLISHED = datetime(2024, 1, 1, tzinfo=timezone.utc)


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def submission(definition_id: int, body: dict, own_scoring: dict, inputs: dict, fields: dict):
    """A self-evaluation as load_tree and score_submission see it."""
    definition = SimpleNamespace(id=definition_id, version=1, published_at=PUBLISHED, body=body)
    jurisdiction = SimpleNamespace(code="futian", settings={})
    project = SimpleNamespace(organization=SimpleNamespace(jurisdiction=jurisdiction))
    data = {"scoring": own_scoring, "scores": inputs, "fields": fields}
    return SimpleNamespace(data=data, definition=definition, project=project)


def per_call(function, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def tree_kb(scoring: dict) -> float:
    load_scoring(scoring)
    tracemalloc.start()
    trees = [load_scoring(scoring) for _ in range(20)]
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del trees
    return size / 20 / 1024


def main(rounds: int = 15, calls: int = 200) -> None:
    futian_body = read(FORMS / "futian" / "self_evaluation.json")
    default_body = read(FORMS / "_default" / "self_evaluation.json")
    goal = read(ROOT / "demo" / "futian_2022.json")["projects"][0]
    instantiated = instantiate_from_goal(default_body["scoring"], read(FORMS / "futian" / "goal.json"),
                                         {"indicators": goal["rows"]})
    inputs, fields = make_evaluation(random.Random(20221231))
    # Stored copies, as a database hands them back: equal to, not the same object as, the definition's.
    futian = submission(1, futian_body, json.loads(json.dumps(futian_body["scoring"])), inputs, fields)
    national = submission(2, default_body, instantiated, {}, {})

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench", "TESTING": True})
    with app.test_request_context():
        rules = registry()
        tree = load_tree(futian)
        national_leaves = len(load_tree(national).leaves)
        cases = {
            "cold build (load_scoring)": lambda: load_scoring(scoring_of(futian), rules),
            "load_tree, definition key": lambda: load_tree(futian),
            "load_tree, JSON digest key": lambda: load_tree(national),
            "score_submission (scoring)": lambda: score_submission(futian, tree=tree),
        }
        cold = score_submission(futian, tree=load_scoring(scoring_of(futian), rules))
        cached = score_submission(futian)
        assert cold == cached, "the cached tree scores differently"
        for function in cases.values():  # warm-up, untimed
            per_call(function, calls // 10 or 1)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, function in cases.items():
                times[name].append(per_call(function, calls))
        cache = app.extensions[TREES_KEY]

    median = {name: statistics.median(values) for name, values in times.items()}
    scoring_s = median["score_submission (scoring)"]
    print(f"{rounds} interleaved rounds of {calls:,} calls; median round, per call "
          f"(Futian, {len(tree.leaves)} leaves; national default, {national_leaves} leaves)")
    for name, seconds in median.items():
        print(f"  {name:30} {seconds * 1e6:8.1f} µs   {seconds / scoring_s:5.2f}× scoring")
    build_s = median["cold build (load_scoring)"]
    print(f"build + score per use, before:  {(build_s + scoring_s) * 1e6:8.1f} µs")
    for name in ("load_tree, definition key", "load_tree, JSON digest key"):
        used = median[name] + scoring_s
        print(f"lookup + score, {name[11:]:15} {used * 1e6:8.1f} µs   "
              f"({(build_s + scoring_s) / used:.1f}× faster)")
    print(f"tree size: Futian {tree_kb(futian_body['scoring']):.0f} KB, national default "
          f"{tree_kb(instantiated):.0f} KB; cache {cache!r}")
    print(f"total (cold and cached tree): {display(cold.total)} = {display(cached.total)}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
