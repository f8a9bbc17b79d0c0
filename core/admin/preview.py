"""Previews: a definition rendered as the department will see it, filled with sample
inputs by the admin and checked (goal forms) or scored (scoring forms) with the same
code the department's pages use."""
from __future__ import annotations

from typing import Any, Mapping

from core.admin import service
from core.definitions.data import validate_data
from core.definitions.loader import load_definition
from core.i18n import current_lang
from core.plugins import compiled_scoring, hook
from core.scoring import bind_hooks, display, instantiate_from_goal, score
from core.selfeval.scoring import input_specs, registry
from core.selfeval.views import _layout, scores_from_request
from core.webforms.builder import attach_problems, data_from_form, form_from_data, new_row_id
from core.webforms.layout import indicator_layout

EMPTY = {"fields": {}, "milestones": {}, "indicators": []}


def paper_preview(body: dict, posted: Mapping[str, Any] | None) -> dict:
    """The paper layout of a goal (or monitoring…) form; sample inputs are validated, never saved.

    :raises DefinitionInvalid: when the definition cannot be loaded.
    """
    definition = load_definition(body)
    problems: list = []
    data = dict(EMPTY)
    if posted is not None:
        data = data_from_form(body, form_from_data(body, EMPTY, formdata=posted))
        action = posted.get("action", "check")
        if action.startswith("add:"):
            level1, level2 = (action.split(":", 2) + ["", ""])[1:3]
            data["indicators"].append({"id": new_row_id(), "level1": level1, "level2": level2, "name": "",
                                       "description": "", "target": "", "basis": ""})
        elif action.startswith("remove:"):
            data["indicators"] = [r for r in data["indicators"] if r["id"] != action.split(":", 1)[1]]
        _normalised, problems = validate_data(definition, data, lang=current_lang())
    form = form_from_data(body, data)
    loose = attach_problems(form, data, problems) if posted is not None else []
    layout = indicator_layout(body, list(form.rows.entries) if "rows" in form else [])
    return dict(raw=body, form=form, layout=layout, sample_problems=problems, loose_problems=loose,
                checked=posted is not None)


def _walk(nodes):
    for node in nodes or []:
        if isinstance(node, dict):
            yield node
            yield from _walk(node.get("children"))


def sample_goal_rows(scoring: Mapping, goal_body: Mapping) -> list[dict]:
    """One sample goal row (target ≥100%) for each ``from_goal`` node, so the template can be scored."""
    tree = goal_body.get("indicator_tree") if isinstance(goal_body.get("indicator_tree"), Mapping) else {}
    listed = tree.get("categories") if isinstance(tree.get("categories"), list) else []
    categories = {c.get("id"): c for c in listed if isinstance(c, Mapping)}
    rows = []
    for node in _walk(scoring.get("nodes")):
        spec = node.get("from_goal")
        if not isinstance(spec, Mapping) or node.get("children"):
            continue
        category = categories.get(spec.get("level1")) or {}
        listed = category.get("children") if isinstance(category.get("children"), list) else []
        children = [c for c in listed if isinstance(c, Mapping)]
        level2 = spec.get("level2") or (children[0].get("id") if children else "")
        label = category.get("label")
        name = (label.get("zh") if isinstance(label, Mapping) else None) or spec.get("level1")
        rows.append({"id": f"sample{len(rows) + 1}", "level1": spec.get("level1"), "level2": level2,
                     "name": f"示例：{name}", "description": "", "target": "≥100%", "basis": ""})
    return rows


def scoring_tree(jurisdiction, body: Mapping) -> tuple[Any, list[dict]]:
    """The loaded scoring tree of ``body`` as a department's form would be scored.

    ``from_goal`` nodes are instantiated from sample goal rows; the jurisdiction's
    grade bands apply unless the definition has its own (as for submissions).
    :raises DefinitionInvalid: from instantiation or loading.
    """
    scoring = dict(body["scoring"])
    rows: list[dict] = []
    if any(isinstance(n.get("from_goal"), Mapping) and not n.get("children") for n in _walk(scoring.get("nodes"))):
        goal = service.draft_of(jurisdiction, "goal")
        if goal is None or service.form_problems(jurisdiction, "goal", goal.body)[0]:
            goal = service.latest_published(jurisdiction, "goal")  # a broken goal draft is no model
        goal_body = goal.body if goal is not None else {}
        rows = sample_goal_rows(scoring, goal_body)
        scoring = instantiate_from_goal(scoring, goal_body, {"indicators": rows})
    bands = (jurisdiction.settings or {}).get("grade_bands")
    if bands and "grades" not in scoring:
        scoring["grades"] = bands
    return compiled_scoring(scoring, registry=registry()), rows  # keyed by its JSON: a draft changes


def scoring_preview(jurisdiction, body: dict, posted: Mapping[str, Any] | None) -> dict:
    """The self-evaluation page of ``body`` with sample inputs scored by :func:`core.scoring.score`."""
    tree, rows = scoring_tree(jurisdiction, body)
    field_ids = {f["id"] for s in body.get("sections", []) for f in s.get("fields", [])}
    # As on the department's page, a leaf made from a goal row shows the row's target.
    targets = {row["id"]: row["target"] for row in rows}
    previous = {leaf.id: {"target": targets[leaf.goal_row]} for leaf in tree.leaves
                if getattr(leaf, "goal_row", None) in targets}
    if posted is None:
        form, fields, scores = form_from_data(body, EMPTY), {}, previous
    else:
        form = form_from_data(body, EMPTY, formdata=posted)
        fields = data_from_form(body, form)["fields"]
        scores = scores_from_request(posted, tree, field_ids, previous=previous)
    result = score(tree, scores, fields=fields, hooks=bind_hooks(hook(), jurisdiction=jurisdiction))
    return dict(raw=body, form=form, data={"fields": fields, "scores": scores}, tree=tree, layout=_layout(tree),
                result=result, leaves={leaf.id: leaf for leaf in result.leaves},
                specs={leaf.id: input_specs(leaf, field_ids) for leaf in tree.leaves}, scores=scores,
                display=display, sample_rows=rows, checked=posted is not None)
