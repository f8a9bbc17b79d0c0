"""Arranging indicator rows like the paper form: level 1 ▸ level 2 ▸ rows, with rowspans."""
from __future__ import annotations


def _row_key(row) -> tuple[str, str]:
    if isinstance(row, dict):
        return row.get("level1") or "", row.get("level2") or ""
    return row.form.level1.data or "", row.form.level2.data or ""


def indicator_layout(raw: dict, rows: list) -> list[dict]:
    """Group ``rows`` (dicts or WTForms row entries) under the definition's categories.

    Every level-2 category appears even without rows (the paper form prints it
    empty, and the filer needs its "add row" button). Rows whose category is not in
    the definition are kept in a trailing group so nothing typed is ever hidden.
    """
    tree = raw.get("indicator_tree") or {}
    layout, placed = [], set()
    for category in tree.get("categories", []):
        groups = []
        for child in category.get("children", []):
            key = (category["id"], child["id"])
            members = [(i, r) for i, r in enumerate(rows) if _row_key(r) == key]
            placed.update(i for i, _ in members)
            groups.append({"child": child, "rows": members, "rowspan": max(1, len(members))})
        layout.append({"category": category, "groups": groups,
                       "rowspan": sum(g["rowspan"] for g in groups)})
    stray = [(i, r) for i, r in enumerate(rows) if i not in placed]
    if stray:
        unknown = {"id": "", "label": {"zh": "（类别无效）", "en": "(invalid category)"}}
        layout.append({"category": unknown, "rowspan": len(stray),
                       "groups": [{"child": unknown, "rows": stray, "rowspan": len(stray)}]})
    return layout
