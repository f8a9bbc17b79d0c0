"""The submission workflow: states, transitions and who may take them.

    draft ──submit──▶ submitted ──approve──▶ approved ──adjust──▶ adjusting
      ▲                  │                                         │
      └──── returned ◀─return                   submit ◀───────────┘

A change after approval is a formal adjustment (调整): the approved revision is
kept, the filer edits a new one, and the reviewer approves again.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.models import Role

EDITABLE_STATES = frozenset({"draft", "returned", "adjusting"})

STATE_LABELS = {
    "draft": {"zh": "草稿", "en": "Draft"},
    "submitted": {"zh": "已提交待审核", "en": "Submitted"},
    "returned": {"zh": "已退回修改", "en": "Returned"},
    "approved": {"zh": "已批复", "en": "Approved"},
    "adjusting": {"zh": "调整中", "en": "Being adjusted"},
}


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    role: Role
    comment_required: bool
    label: dict


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("submit", frozenset({"draft", "returned", "adjusting"}), "submitted", Role.FILER, False,
               {"zh": "提交审核", "en": "Submit for review"}),
    Transition("approve", frozenset({"submitted"}), "approved", Role.REVIEWER, False,
               {"zh": "审核通过", "en": "Approve"}),
    Transition("return", frozenset({"submitted"}), "returned", Role.REVIEWER, True,
               {"zh": "退回修改", "en": "Return for revision"}),
    Transition("adjust", frozenset({"approved"}), "adjusting", Role.FILER, True,
               {"zh": "申请调整", "en": "Start an adjustment"}),
)}


class TransitionRefused(Exception):
    """A transition that may not happen now; ``message`` is for the user."""

    def __init__(self, message: str, problems=None, findings=None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.findings = findings or []
