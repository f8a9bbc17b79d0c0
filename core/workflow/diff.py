"""What changed between two versions of a form's data (for the history)."""
from __future__ import annotations


def _flatten(data, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            # Indicator rows carry a stable id; use it so inserting a row does not
            # make every later row look changed.
            key = value.get("id") if isinstance(value, dict) and value.get("id") else index
            out.update(_flatten(value, f"{prefix}[{key}]"))
    else:
        out[prefix] = data
    return out


def diff_data(old: dict | None, new: dict | None) -> list[dict]:
    """List ``{"path", "old", "new"}`` for every leaf value that differs."""
    before, after = _flatten(old or {}), _flatten(new or {})
    changes = []
    for path in sorted(before.keys() | after.keys()):
        a, b = before.get(path), after.get(path)
        if (a or "") != (b or ""):
            changes.append({"path": path, "old": a, "new": b})
    return changes
