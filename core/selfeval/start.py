"""Creating a project's self-evaluation from its approved goal form."""
from __future__ import annotations

from flask_babel import gettext

from core.definitions.errors import DefinitionInvalid
from core.extensions import db
from core.models import SubmissionRevision
from core.scoring import instantiate_from_goal
from core.workflow import service
from core.workflow.transitions import TransitionRefused

KIND = "self_evaluation"


def start_self_evaluation(project, actor):
    """The project's self-evaluation, created on first use.

    Its scoring tree is instantiated from the *approved* goal revision (one scored
    leaf per goal indicator, carrying its target) and stored with the submission,
    so a later adjustment of the goal does not move a self-evaluation under way.
    """
    existing = project.submission(KIND)
    if existing is not None:
        return existing
    goal = project.submission("goal")
    approved = goal.approved_revision if goal is not None else None
    if approved is None:
        raise TransitionRefused(gettext("绩效目标表批复后才能填写自评表"))
    submission = service.start_submission(project, KIND, actor)
    if "scoring" in submission.data:
        return submission  # created (and instantiated) by a concurrent request a moment ago
    scoring = submission.definition.body.get("scoring") or {}
    try:
        instantiated = instantiate_from_goal(scoring, approved.definition.body, approved.data)
    except DefinitionInvalid as invalid:
        # Approved before this was checked (or under an older self-evaluation form):
        # say what is wrong and what to do, instead of failing.
        raise TransitionRefused(gettext(
            "已批复的绩效目标表无法生成自评表：%(problems)s。请对绩效目标表「申请调整」，补齐或改正指标行后重新报批。",
            problems="；".join(p.message for p in invalid.problems)), invalid.problems) from None
    scores = {}
    for node in _walk(instantiated.get("nodes", [])):
        if node.get("goal_row"):
            row = next((r for r in approved.data.get("indicators", []) if r.get("id") == node["goal_row"]), {})
            scores[node["id"]] = {"target": row.get("target", "")}
    submission.data = {**submission.data, "scores": scores, "scoring": instantiated,
                       "goal_revision_id": approved.id}
    db.session.flush()
    return submission


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.get("children") or [])


def goal_revision(submission) -> SubmissionRevision | None:
    revision_id = submission.data.get("goal_revision_id")
    return db.session.get(SubmissionRevision, revision_id) if revision_id else None
