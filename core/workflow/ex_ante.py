"""The ex-ante assessment gate (事前绩效评估): no goal form without an approved assessment.

Changzhi §14 and Chongqing 四（一） make the ex-ante assessment "a required element
of a budget request"; Chongqing 四（六）: a project the assessment does not support
gets no budget. A jurisdiction switches the gate on with ``workflow.require_ex_ante``
in its pack; core knows no jurisdiction by name. Called from the default plugin's
``validate_submission`` (``core.default_rules``).

Convention: an ex-ante form's conclusion is the field ``conclusion``; the value
``not_supported`` (不予支持) keeps the goal form from being submitted.
"""
from __future__ import annotations

from core.definitions.errors import Problem
from core.workflow.transitions import STATE_LABELS

KIND = "ex_ante"
REFUSED_CONCLUSIONS = frozenset({"not_supported"})

MESSAGES = {
    "ex_ante_required": {
        "zh": "本辖区要求先完成事前绩效评估：请先在项目页面填报「事前绩效评估表」并经财务审核通过，"
              "再提交绩效目标表（事前绩效评估表当前：{state}；填报入口 {link}）。",
        "en": "This jurisdiction requires an ex-ante assessment first: fill in the ex-ante assessment form on the "
              "project page and have it approved by finance, then submit the goal form (ex-ante assessment now: "
              "{state}; open it at {link}).",
    },
    "ex_ante_not_supported": {
        "zh": "事前绩效评估结论为「不予支持」，不得安排预算，绩效目标表不能提交（见 {link}）。",
        "en": "The ex-ante assessment concluded “not supported”: no budget, and the goal form cannot be "
              "submitted (see {link}).",
    },
}


def requires_ex_ante(jurisdiction) -> bool:
    """Whether the jurisdiction's pack sets ``workflow.require_ex_ante``."""
    return bool(((jurisdiction.settings or {}).get("workflow") or {}).get("require_ex_ante"))


def ex_ante_problems(definition, project, jurisdiction, lang: str = "zh") -> list[Problem]:
    """The gate's problem for a goal form, or an empty list.

    :param definition: the goal form's loaded definition (other kinds pass freely).
    """
    if getattr(definition, "kind", None) != "goal" or not requires_ex_ante(jurisdiction):
        return []
    link = f"/projects/{project.id}/forms/{KIND}"
    assessment = project.submission(KIND)
    approved = assessment.approved_revision if assessment is not None else None
    if approved is None:
        state = (STATE_LABELS[assessment.state] if assessment is not None
                 else {"zh": "未填报", "en": "not started"})
        return [Problem(KIND, _say("ex_ante_required", lang, state=state.get(lang) or state["zh"], link=link),
                        "ex_ante_required")]
    if (approved.data.get("fields") or {}).get("conclusion") in REFUSED_CONCLUSIONS:
        return [Problem(KIND, _say("ex_ante_not_supported", lang, link=link), "ex_ante_not_supported")]
    return []


def _say(key: str, lang: str, **params) -> str:
    entry = MESSAGES[key]
    return (entry.get(lang) or entry["zh"]).format(**params)
