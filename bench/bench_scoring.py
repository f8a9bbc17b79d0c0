"""Benchmark: score 10,000 Futian evaluations, against a hand-written floor.

    python bench/bench_scoring.py [count]

The engine loads the definition once (as the app does per definition version) and
scores every evaluation through the public API. The floor is a function written
by hand for Futian's 17 indicators, with the same Decimal arithmetic and no
validation, hooks or messages: what scoring would cost without an engine. Both
run in the same process on the same inputs; the totals are compared one by one.
"""
from __future__ import annotations

import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.scoring import display, load_scoring, score  # noqa: E402

DEFINITION = ROOT / "form_definitions" / "futian" / "self_evaluation.json"
CHECKLISTS = {  # leaf id -> (weight, item ids)
    "basis_sufficiency": (3, ("lawful", "within_duties", "public_finance", "no_duplication")),
    "procedure_compliance": (3, ("procedure", "documents")),
    "goal_reasonableness": (3, ("has_goals", "relevant", "normal_level", "matches_funds")),
    "indicator_clarity": (3, ("decomposed", "measurable", "matches_plan")),
    "budget_science": (4, ("justified", "content_match", "standard_basis", "task_match")),
    "allocation_reasonableness": (4, ("basis", "amount")),
    "funds_use_compliance": (4, ("lawful", "approval", "purpose", "no_misuse")),
    "management_system": (4, ("has_rules", "sound_rules")),
    "system_execution": (4, ("compliance", "adjustments", "records", "staffing")),
}
TIER_SHARE = {"achieved": Decimal(100), "partial": Decimal(70), "not_achieved": Decimal(30)}


def make_evaluation(rng: random.Random) -> tuple[dict, dict]:
    """Futian's figures, varied a little: outputs, money, survey, checklist gaps, finals."""
    actual_output = rng.randint(2000, 2208)
    arrived = Decimal(rng.randint(25000, 25890)) / 100
    fields = {
        "budget_full_year": "258.90", "funds_arrived": str(arrived),
        "executed": str(arrived - Decimal(rng.randint(0, 500)) / 100),
        "planned_output": "2208", "actual_output": str(actual_output),
        "qualified_output": str(actual_output - rng.randint(0, 5)),
        "planned_cost": "258.90", "actual_cost": str(Decimal(rng.randint(24000, 27000)) / 100),
        "satisfaction_rate": f"{rng.uniform(80, 99.99):.2f}",
    }
    inputs = {leaf: {"checked": [i for i in items if rng.random() > 0.1]} for leaf, (_, items) in CHECKLISTS.items()}
    inputs["timeliness"] = {"tier": rng.choice(list(TIER_SHARE))}
    inputs["social_benefit"] = {"tier": "achieved", "final": "14", "reason": "定性目标，可衡量性不足"}
    if rng.random() < 0.5:
        inputs["completion_rate"] = {"final": "11", "reason": "上限型目标"}
    if rng.random() < 0.5:
        inputs["beneficiary_satisfaction"] = {"final": "13", "reason": "样本仅 19 份"}
    return inputs, fields


def futian_total_by_hand(inputs: dict, fields: dict) -> Decimal:
    """The same total, written directly for Futian's 17 indicators (the floor)."""
    def number(key):
        return Decimal(fields[key])

    def final_or(leaf_id, suggested):
        final = inputs.get(leaf_id, {}).get("final")
        return Decimal(final) if final else suggested

    def positive(weight, actual, target):
        return Decimal(weight) if actual >= target else Decimal(weight) * actual / target

    total = Decimal(0)
    for leaf_id, (weight, items) in CHECKLISTS.items():
        total += Decimal(weight) * len(inputs[leaf_id]["checked"]) / len(items)
    total += positive(4, number("funds_arrived"), number("budget_full_year"))
    total += positive(4, number("executed"), number("funds_arrived"))
    total += final_or("completion_rate", positive(12, number("actual_output"), number("planned_output")))
    total += positive(6, number("qualified_output"), number("actual_output"))
    total += Decimal(6) * TIER_SHARE[inputs["timeliness"]["tier"]] / 100
    planned, actual = number("planned_cost"), number("actual_cost")
    total += 6 if actual <= planned else max(Decimal(0), Decimal(6) * (2 * planned - actual) / planned)
    total += final_or("social_benefit", Decimal(15))
    total += final_or("beneficiary_satisfaction", positive(15, number("satisfaction_rate"), Decimal(100)))
    return total


def timed(function, evaluations) -> tuple[float, list]:
    start = time.perf_counter()
    results = [function(inputs, fields) for inputs, fields in evaluations]
    return time.perf_counter() - start, results


def main(count: int = 10_000) -> None:
    """Run the benchmark and print the figures."""
    scoring = json.loads(DEFINITION.read_text(encoding="utf-8"))["scoring"]
    start = time.perf_counter()
    for _ in range(100):
        tree = load_scoring(scoring)
    load_ms = (time.perf_counter() - start) / 100 * 1000
    rng = random.Random(20221231)
    evaluations = [make_evaluation(rng) for _ in range(count)]

    for inputs, fields in evaluations[:200]:  # warm-up, both paths
        score(tree, inputs, fields=fields)
        futian_total_by_hand(inputs, fields)
    engine_s, results = timed(lambda i, f: score(tree, i, fields=f), evaluations)
    floor_s, floors = timed(futian_total_by_hand, evaluations)

    mismatches = sum(display(r.total) != display(f) for r, f in zip(results, floors))
    not_ok = sum(not r.ok for r in results)
    engine_us, floor_us = engine_s / count * 1e6, floor_s / count * 1e6
    print(f"evaluations:           {count:,} (Futian, 17 leaves each)")
    print(f"load_scoring (once):   {load_ms:.2f} ms per definition")
    print(f"engine score():        {engine_us:.1f} µs per evaluation ({engine_s:.2f} s total)")
    print(f"hand-written floor:    {floor_us:.1f} µs per evaluation ({floor_s:.2f} s total)")
    print(f"ratio engine / floor:  {engine_us / floor_us:.1f}×")
    print(f"totals that differ:    {mismatches} (results with problems: {not_ok})")
    if mismatches:
        raise SystemExit("the engine and the floor disagree")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
