"""What changed between two versions of a definition, by JSON path, in words.

``sections[0].fields[2].label.zh: 「预算数」→「预算总额」``. Lists of objects that
carry an ``id`` (sections, fields, categories, scoring nodes…) are matched by id,
so inserting a field does not make every later field look changed; an element
whose place changed is reported once as moved. Pure: no Flask, no database.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_SHOWN = 120


@dataclass(frozen=True)
class Change:
    """One difference. ``kind`` is ``changed``, ``added``, ``removed`` or ``moved``."""

    path: str
    kind: str
    old: Any = None
    new: Any = None

    def text(self, lang: str = "zh") -> str:
        """The change as one readable line."""
        zh = lang != "en"
        if self.kind == "changed":
            return f"{self.path}: {shown(self.old)} → {shown(self.new)}"
        if self.kind == "added":
            return f"{self.path}: {'新增' if zh else 'added'} {summary(self.new)}"
        if self.kind == "removed":
            return f"{self.path}: {'删除' if zh else 'removed'} {summary(self.old)}"
        return (f"{self.path}: {'位置' if zh else 'position'} {self.old + 1} → {self.new + 1}"
                if isinstance(self.old, int) else f"{self.path}: {self.kind}")


def shown(value: Any) -> str:
    """A scalar as people read it: strings in 「」, the rest as JSON; long values cut."""
    if isinstance(value, str):
        text = value if len(value) <= MAX_SHOWN else value[:MAX_SHOWN] + "…"
        return f"「{text}」"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def summary(value: Any) -> str:
    """An added or removed value, named by its label and id when it has them."""
    if isinstance(value, dict):
        label = value.get("label")
        name = label.get("zh") if isinstance(label, dict) else None
        parts = [f"「{name}」" if name else "", f"(id {value['id']})" if isinstance(value.get("id"), str) else ""]
        if any(parts):
            return " ".join(p for p in parts if p)
    return shown(value)


def _ids(items: list) -> list[str] | None:
    """The elements' ids when every element is an object with a distinct string id."""
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    if not ids or any(not isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        return None
    return ids


def _stable(sequence: list[int]) -> set[int]:
    """Positions (in ``sequence``) of a longest increasing subsequence: the elements that stayed."""
    tails: list[int] = []       # tails[k]: index into sequence of the smallest tail of length k+1
    previous = [-1] * len(sequence)
    for i, value in enumerate(sequence):
        low, high = 0, len(tails)
        while low < high:
            mid = (low + high) // 2
            if sequence[tails[mid]] < value:
                low = mid + 1
            else:
                high = mid
        if low:
            previous[i] = tails[low - 1]
        if low == len(tails):
            tails.append(i)
        else:
            tails[low] = i
    kept, index = set(), tails[-1] if tails else -1
    while index >= 0:
        kept.add(index)
        index = previous[index]
    return kept


def _diff_lists(old: list, new: list, path: str, out: list[Change]) -> None:
    old_ids, new_ids = _ids(old), _ids(new)
    if old_ids is None or new_ids is None:
        for index in range(max(len(old), len(new))):
            where = f"{path}[{index}]"
            if index >= len(old):
                out.append(Change(where, "added", new=new[index]))
            elif index >= len(new):
                out.append(Change(where, "removed", old=old[index]))
            else:
                _diff(old[index], new[index], where, out)
        return
    old_at = {item_id: i for i, item_id in enumerate(old_ids)}
    for index, item_id in enumerate(old_ids):
        if item_id not in new_ids:
            out.append(Change(f"{path}[{index}]", "removed", old=old[index]))
    common = [(j, old_at[item_id]) for j, item_id in enumerate(new_ids) if item_id in old_at]
    stayed = _stable([i for _, i in common])
    for position, (j, i) in enumerate(common):
        if position not in stayed:
            out.append(Change(f"{path}[{j}]", "moved", old=i, new=j))
    for j, item_id in enumerate(new_ids):
        if item_id in old_at:
            _diff(old[old_at[item_id]], new[j], f"{path}[{j}]", out)
        else:
            out.append(Change(f"{path}[{j}]", "added", new=new[j]))


def _diff(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        keys = list(old) + [k for k in new if k not in old]
        for key in keys:
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(Change(where, "removed", old=old[key]))
            elif key not in old:
                out.append(Change(where, "added", new=new[key]))
            else:
                _diff(old[key], new[key], where, out)
    elif isinstance(old, list) and isinstance(new, list):
        _diff_lists(old, new, path, out)
    elif old != new or type(old) is not type(new):
        out.append(Change(path or "(整体)", "changed", old=old, new=new))


def diff(old: Any, new: Any, ignore: tuple[str, ...] = ()) -> list[Change]:
    """Every difference from ``old`` to ``new`` (parsed JSON), in document order.

    :param ignore: top-level keys left out (a definition's ``version`` always differs).
    """
    if ignore and isinstance(old, dict) and isinstance(new, dict):
        old = {k: v for k, v in old.items() if k not in ignore}
        new = {k: v for k, v in new.items() if k not in ignore}
    out: list[Change] = []
    _diff(old, new, "", out)
    return out
