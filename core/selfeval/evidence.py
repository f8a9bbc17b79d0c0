"""Filling a self-evaluation's actual values from evidence other modules hold (surveys).

The ``indicator_evidence`` hook answers for a goal row (the survey module: a closed
satisfaction survey linked to the row). The value goes where the row is *scored*
(issue 14, item 5), not only where it is reported:

- a leaf instantiated from the row (``goal_row``, the national default): its ``actual``;
- otherwise the row's actual in the goals vs actuals table (Futian 表1-2), and the
  form fields the hook names that the definition has (Futian's and Shijiazhuang's
  ``satisfaction_rate``) — the scored leaf is then the one whose rule reads them
  (服务对象满意度).

The evidence is recorded per row in ``data["evidence"]``: where it came from
(``source``: survey id, title, valid responses, interval), a sentence and a link, and
the scored input with the value filled (``scored``). A filer may keep a different
value only with a reason (the leaf's 理由; :func:`evidence_problems`, a scoring
problem, so the page and the API refuse submission alike). A newer source than the
recorded one is offered on the page (「采用调查结果」, :func:`adopt_evidence`).
"""
from __future__ import annotations

from flask_babel import gettext

from core.audit import record
from core.definitions.errors import Problem
from core.definitions.expressions import _number_from_text, is_blank
from core.plugins import hook
from core.selfeval.actuals import leaf_rows


def _field_ids(submission) -> set[str]:
    return {f["id"] for s in submission.definition.body.get("sections", []) for f in s.get("fields", [])}


def _leaf_reading(submission, fields) -> str | None:
    """The scoring leaf whose rule reads one of the form ``fields`` (Futian's 服务对象满意度)."""
    from core.selfeval.scoring import load_tree  # scoring calls back into this module

    for leaf in load_tree(submission).leaves:
        rule = leaf.rule
        for source in (*rule.sources.values(), *rule.conditions.values()):
            if any(name in fields for name in source.names):
                return leaf.id
    return None


def _scored_input(submission, data: dict, row_id: str, found: dict) -> dict:
    """Where the row's value is scored, as recorded with the evidence (empty: nowhere)."""
    leaves = leaf_rows(data)
    if row_id in leaves:
        return {"leaf": leaves[row_id], "input": "actual", "value": found["actual"]}
    fields = {k: str(v) for k, v in (found.get("fields") or {}).items() if k in _field_ids(submission)}
    leaf = _leaf_reading(submission, fields) if fields else None
    if leaf is None:
        return {}
    from core.selfeval.scoring import load_tree

    node = next(n for n in load_tree(submission).leaves if n.id == leaf)
    name = next(name for source in (*node.rule.sources.values(), *node.rule.conditions.values())
                for name in source.names if name in fields)
    return {"leaf": leaf, "field": name, "value": fields[name]}


def _record(found: dict, scored: dict) -> dict:
    return {"note": found.get("note", ""), "url": found.get("url", ""), "actual": found["actual"],
            "source": found.get("source") or {}, "scored": scored, "leaf": scored.get("leaf")}


def _apply(submission, data: dict, row: dict, found: dict, overwrite: bool) -> dict:
    """``data`` with ``found`` written where the row is reported and scored, and recorded.

    Without ``overwrite`` only empty places are written.
    """
    row_id = row["id"]
    scores = {k: dict(v) for k, v in (data.get("scores") or {}).items()}
    actuals = dict(data.get("actuals") or {})
    fields = dict(data.get("fields") or {})
    leaves = leaf_rows(data)
    if row_id in leaves:
        entry = scores.setdefault(leaves[row_id], {})
        if overwrite or is_blank(entry.get("actual")):
            entry["actual"] = found["actual"]
    else:
        if overwrite or is_blank(actuals.get(row_id)):
            actuals[row_id] = found["actual"]
        field_ids = _field_ids(submission)
        for name, value in (found.get("fields") or {}).items():
            if name in field_ids and (overwrite or is_blank(fields.get(name))):
                fields[name] = str(value)
    evidence = dict(data.get("evidence") or {})
    evidence[row_id] = _record(found, _scored_input(submission, data, row_id, found))
    return {**data, "scores": scores, "actuals": actuals, "fields": fields, "evidence": evidence}


def _has_value(submission, data: dict, row_id: str, found: dict) -> bool:
    leaves = leaf_rows(data)
    if row_id in leaves:
        return not is_blank(((data.get("scores") or {}).get(leaves[row_id]) or {}).get("actual"))
    return not is_blank((data.get("actuals") or {}).get(row_id))


def _audit(submission, actor, rows: list[str], evidence: dict, adopted: bool = False) -> None:
    project = submission.project
    detail = {"rows": rows, "evidence": {r: evidence[r] for r in rows}}
    if adopted:
        detail["adopted"] = True
    record("submission.evidence", "submission", submission.id, actor=actor, detail=detail,
           jurisdiction_id=project.organization.jurisdiction_id, organization_id=project.organization_id)


def fill_from_evidence(submission, goal_data: dict, actor, offers: dict | None = None) -> list[str]:
    """Ask the ``indicator_evidence`` hook for every goal row of the approved goal.

    Empty places of a row (its scored input, its actual in the goals vs actuals table,
    the fields the hook names) are filled with the evidence, recorded and audited; a
    value the filer entered is never overwritten. When the row already has values and
    the hook's source differs from the recorded one (a newer closed survey, or values
    typed by hand before it closed), ``offers[row_id]`` gets the hook's answer.
    Returns the row ids filled.
    """
    data = dict(submission.data)
    filled = []
    for row in goal_data.get("indicators", []):
        row_id = row.get("id")
        found = hook().indicator_evidence(project=submission.project, row=row)
        if not found:
            continue
        if _has_value(submission, data, row_id, found):
            recorded = (data.get("evidence") or {}).get(row_id) or {}
            newer = recorded.get("source") != (found.get("source") or {}) or recorded.get("actual") != found["actual"]
            if newer and offers is not None:
                offers[row_id] = found
            continue
        data = _apply(submission, data, row, found, overwrite=False)
        filled.append(row_id)
    if filled:
        submission.data = data
        _audit(submission, actor, filled, data["evidence"])
    return filled


def adopt_evidence(submission, goal_data: dict, row_id: str, actor) -> bool:
    """「采用调查结果」: write the hook's current answer for ``row_id`` over what the form has."""
    row = next((r for r in goal_data.get("indicators", []) if r.get("id") == row_id), None)
    if row is None:
        return False
    found = hook().indicator_evidence(project=submission.project, row=row)
    if not found:
        return False
    submission.data = data = _apply(submission, dict(submission.data), row, found, overwrite=True)
    _audit(submission, actor, [row_id], data["evidence"], adopted=True)
    return True


def _same(a: object, b: object) -> bool:
    x, y = _number_from_text(str(a)), _number_from_text(str(b))
    if x is not None and y is not None:
        return x == y
    return str(a).strip() == str(b).strip()


def evidence_problems(tree, data: dict) -> dict[str, Problem]:
    """Scored inputs changed from their evidence without a reason: leaf id → problem.

    The reason is the leaf's 理由 (the one a final score different from the suggested
    one needs); the message names the indicator, the value and the survey.
    """
    scores = data.get("scores") or {}
    fields = data.get("fields") or {}
    names = {leaf.id: leaf.name for leaf in tree.leaves}
    found: dict[str, Problem] = {}
    for row_id, ev in (data.get("evidence") or {}).items():
        scored = (ev or {}).get("scored") or {}
        leaf = scored.get("leaf")
        if leaf not in names or leaf in found:
            continue
        entry = scores.get(leaf) or {}
        current = fields.get(scored["field"]) if scored.get("field") else entry.get(scored.get("input", "actual"))
        if is_blank(current) or _same(current, scored.get("value", "")):
            continue
        if not is_blank(entry.get("reason")):
            continue
        source = ev.get("source") or {}
        title = source.get("title")
        where = gettext("满意度调查「%(title)s」", title=title) if title else gettext("证据")
        found[leaf] = Problem(
            f"leaves.{leaf}.reason",
            gettext("「%(label)s」填报的 %(value)s 与%(where)s的结果 %(result)s 不同：请在该指标的“理由”中"
                    "说明采用其他数值的原因，或点击「采用调查结果」", label=names[leaf], value=current,
                    where=where, result=ev.get("actual") or scored.get("value")),
            "evidence_reason_required")
    return found
