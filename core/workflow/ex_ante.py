"""The ex-ante assessment gate (事前绩效评估): no goal form without an approved assessment.

Changzhi §14 and Chongqing 四（一） make the ex-ante assessment "a required element
of a budget request" — for *new* projects and *major* ones (§14: 新增重大项目;
四（一）: 重大政策提出、预算安排时), not for every project. Chongqing 四（六）: a project
the assessment does not support gets no budget. A jurisdiction switches the gate on
with ``workflow.require_ex_ante`` in its pack and says which projects it covers with
``workflow.ex_ante_scope`` (docs/definitions.md, "Ex-ante assessment forms"); core
knows no jurisdiction by name. Called from the default plugin's
``validate_submission`` (``core.default_rules``).

Conventions: the goal form's choice field ``project_nature`` says whether a project
is new (``new``) or continuing (``continuing``); its money field ``budget_total`` is
the budget compared with the threshold (the project's budget when the form has no
such field). An ex-ante form's conclusion is the field ``conclusion``; the value
``not_supported`` (不予支持) keeps the goal form from being submitted.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from core.definitions.errors import Problem
from core.definitions.model import Label
from core.workflow.transitions import STATE_LABELS

KIND = "ex_ante"
REFUSED_CONCLUSIONS = frozenset({"not_supported"})
NATURE_FIELD = "project_nature"
BUDGET_FIELD = "budget_total"
#: The scope when the pack gives none: new projects, and no budget threshold.
DEFAULT_NATURES = ("new",)

MESSAGES = {
    "ex_ante_required": {
        "zh": "本辖区要求{scope}先完成事前绩效评估（{reason}）：请先在项目页面填报「事前绩效评估表」并经财务审核通过，"
              "再提交绩效目标表（事前绩效评估表当前：{state}；填报入口 {link}）。",
        "en": "This jurisdiction requires an ex-ante assessment first for {scope} ({reason}): fill in the ex-ante "
              "assessment form on the project page and have it approved by finance, then submit the goal form "
              "(ex-ante assessment now: {state}; open it at {link}).",
    },
    "ex_ante_not_supported": {
        "zh": "事前绩效评估结论为「不予支持」，不得安排预算，绩效目标表不能提交（见 {link}）。",
        "en": "The ex-ante assessment concluded “not supported”: no budget, and the goal form cannot be "
              "submitted (see {link}).",
    },
    "scope_all": {"zh": "所有项目", "en": "every project"},
    "scope_natures": {"zh": "{natures}", "en": "{natures}"},
    "scope_threshold": {"zh": "预算 {threshold} {unit}及以上的项目",
                        "en": "projects with a budget of {threshold} {unit} or more"},
    "scope_both": {"zh": "{natures}和预算 {threshold} {unit}及以上的项目",
                   "en": "{natures} and projects with a budget of {threshold} {unit} or more"},
    "reason_nature": {"zh": "本项目为「{nature}」", "en": "this project is a “{nature}”"},
    "reason_nature_blank": {"zh": "尚未填写「{field}」", "en": "“{field}” is not filled in yet"},
    "reason_threshold": {"zh": "本项目预算 {budget} {unit}，达到 {threshold} {unit}",
                         "en": "its budget of {budget} {unit} reaches {threshold} {unit}"},
    "reason_all": {"zh": "本表未载明项目属性", "en": "the form does not state the project's nature"},
}
NATURE_LABELS = {"new": {"zh": "新增项目", "en": "new projects"},
                 "continuing": {"zh": "延续项目", "en": "continuing projects"}}


@dataclass(frozen=True)
class Scope:
    """Which goal forms need an approved assessment (``workflow.ex_ante_scope``).

    ``natures``: the values of the goal form's ``project_nature`` that need one;
    ``threshold``: a budget (in the pack's money unit) at or above which every
    project needs one, whatever its nature; ``None`` for none.
    """

    natures: tuple[str, ...] = DEFAULT_NATURES
    threshold: Decimal | None = None


def requires_ex_ante(jurisdiction) -> bool:
    """Whether the jurisdiction's pack sets ``workflow.require_ex_ante``."""
    return bool(_workflow(jurisdiction).get("require_ex_ante"))


def scope_of(jurisdiction) -> Scope:
    """The jurisdiction's ``workflow.ex_ante_scope`` (validated with the pack), or the default."""
    raw = _workflow(jurisdiction).get("ex_ante_scope") or {}
    natures = raw.get("project_nature")
    return Scope(natures=tuple(natures) if isinstance(natures, list) else DEFAULT_NATURES,
                 threshold=_decimal(raw.get("budget_at_least")))


def in_scope(definition, data: Mapping[str, Any], project, scope: Scope) -> tuple[bool, str, dict]:
    """Whether this goal form needs an assessment, and why (a ``MESSAGES`` key and its parameters).

    A form with a ``project_nature`` field left blank is in scope until the filer says
    otherwise; a form without that field is judged by the threshold alone when the pack
    gives one, and is in scope otherwise (nothing tells the gate it may let it pass).
    """
    fields = data.get("fields") or {}
    field = _field(definition, NATURE_FIELD)
    if scope.threshold is not None:
        budget = _decimal(fields.get(BUDGET_FIELD)) if _field(definition, BUDGET_FIELD) is not None else None
        if budget is None:
            budget = _decimal(getattr(project, "budget", None))
        if budget is not None and budget >= scope.threshold:
            return True, "reason_threshold", {"budget": _number(budget), "threshold": _number(scope.threshold)}
    if field is None:
        return scope.threshold is None, "reason_all", {}
    nature = fields.get(NATURE_FIELD)
    if nature in (None, ""):
        return True, "reason_nature_blank", {"field": field.label}
    if nature in scope.natures:
        return True, "reason_nature", {"nature": _choice_label(field, nature)}
    return False, "", {}


def ex_ante_problems(definition, project, jurisdiction, lang: str = "zh",
                     data: Mapping[str, Any] | None = None) -> list[Problem]:
    """The gate's problem for a goal form, or an empty list.

    :param definition: the goal form's loaded definition (other kinds pass freely).
    :param data: the goal form's normalised data (its ``project_nature`` and
        ``budget_total`` decide whether the project is in the pack's scope).
    """
    if getattr(definition, "kind", None) != "goal" or not requires_ex_ante(jurisdiction):
        return []
    link = f"/projects/{project.id}/forms/{KIND}"
    assessment = project.submission(KIND)
    approved = assessment.approved_revision if assessment is not None else None
    if approved is not None and (approved.data.get("fields") or {}).get("conclusion") in REFUSED_CONCLUSIONS:
        # An assessment that does not support the project stops it whatever the scope.
        return [Problem(KIND, _say("ex_ante_not_supported", lang, link=link), "ex_ante_not_supported")]
    if approved is not None:
        return []
    scope = scope_of(jurisdiction)
    needed, reason, params = in_scope(definition, data or {}, project, scope)
    if not needed:
        return []
    unit = _unit(definition, jurisdiction, lang)
    params = {key: _text(value, lang) for key, value in params.items()}
    state = (STATE_LABELS[assessment.state] if assessment is not None
             else {"zh": "未填报", "en": "not started"})
    return [Problem(KIND, _say("ex_ante_required", lang, scope=describe_scope(scope, unit, lang),
                               reason=_say(reason, lang, unit=unit, **params),
                               state=state.get(lang) or state["zh"], link=link),
                    "ex_ante_required")]


def describe_scope(scope: Scope, unit: str, lang: str = "zh") -> str:
    """The scope in words: 「新增项目和预算 200 万元及以上的项目」."""
    natures = "、".join(_text(NATURE_LABELS.get(n, {"zh": n}), lang) for n in scope.natures) \
        if lang == "zh" else " and ".join(_text(NATURE_LABELS.get(n, {"zh": n}), lang) for n in scope.natures)
    threshold = _number(scope.threshold) if scope.threshold is not None else None
    if natures and threshold is not None:
        return _say("scope_both", lang, natures=natures, threshold=threshold, unit=unit)
    if threshold is not None:
        return _say("scope_threshold", lang, threshold=threshold, unit=unit)
    return _say("scope_natures", lang, natures=natures) if natures else _say("scope_all", lang)


# --- helpers ---------------------------------------------------------------------------------------

def _workflow(jurisdiction) -> Mapping:
    return ((getattr(jurisdiction, "settings", None) or {}).get("workflow") or {})


def _field(definition, field_id: str):
    fields = getattr(definition, "fields_by_id", None) or {}
    return fields.get(field_id)


def _choice_label(field, value: str):
    return next((c.label for c in getattr(field, "choices", ()) if c.value == value), value)


def _decimal(value) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _number(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _unit(definition, jurisdiction, lang: str) -> str:
    unit = getattr(definition, "unit", None) or (getattr(jurisdiction, "settings", None) or {}).get("money_unit") or "元"
    if lang == "en":
        return {"万元": "10,000 yuan", "元": "yuan"}.get(unit, unit)
    return unit


def _text(value, lang: str) -> str:
    """A label (a definition's ``Label``, ``{"zh": …}``) or a plain value as text."""
    if isinstance(value, Label):
        return value.get(lang)
    if isinstance(value, Mapping):
        return value.get(lang) or value.get("zh") or ""
    return str(value)


def _say(key: str, lang: str, **params) -> str:
    entry = MESSAGES[key]
    return (entry.get(lang) or entry["zh"]).format(**params)
