"""Filling a self-evaluation's actual values from evidence other modules hold (surveys)."""
from __future__ import annotations

from core.audit import record
from core.plugins import hook
from core.selfeval.actuals import goal_actuals, leaf_rows


def fill_from_evidence(submission, goal_data: dict, actor) -> list[str]:
    """Ask the ``indicator_evidence`` hook for every goal row still without an actual value.

    Values found are written into the draft (the leaf's actual, or the goals vs
    actuals table) with their evidence, and audited. Returns the row ids filled.
    """
    data = dict(submission.data)
    have = goal_actuals(data)
    leaves = leaf_rows(data)
    scores = {k: dict(v) for k, v in (data.get("scores") or {}).items()}
    actuals = dict(data.get("actuals") or {})
    evidence = dict(data.get("evidence") or {})
    filled = []
    for row in goal_data.get("indicators", []):
        if have.get(row.get("id")):
            continue
        found = hook().indicator_evidence(project=submission.project, row=row)
        if not found:
            continue
        if row["id"] in leaves:
            scores.setdefault(leaves[row["id"]], {})["actual"] = found["actual"]
        else:
            actuals[row["id"]] = found["actual"]
        evidence[row["id"]] = {"note": found.get("note", ""), "url": found.get("url", "")}
        filled.append(row["id"])
    if filled:
        submission.data = {**data, "scores": scores, "actuals": actuals, "evidence": evidence}
        project = submission.project
        record("submission.evidence", "submission", submission.id, actor=actor,
               detail={"rows": filled, "evidence": {r: evidence[r] for r in filled}},
               jurisdiction_id=project.organization.jurisdiction_id, organization_id=project.organization_id)
    return filled
