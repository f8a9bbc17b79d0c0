"""Assessing subordinate bodies (Shijiazhuang 附件三): opening, self scores, assessed scores.

The assessor is the reviewer (finance) of a jurisdiction; the assessed bodies are its
child jurisdictions (county unions under the city union). The sheet is the
assessor's ``assessment`` definition; both stages are scored with the engine
(``core.scoring.score``), once per stage (docs/scoring.md §11).

    open ──submit_self──▶ self_submitted ──finalise──▶ assessed
      ▲                        │
      └──── return_self ◀──────┘   (returned: the county edits again)

The caller commits; every step is audited.
"""
from __future__ import annotations

import copy

from flask_babel import gettext
from sqlalchemy import select

from core.audit import record
from core.auth import access
from core.extensions import db
from core.i18n import current_lang, label
from core.models import Assessment, FormDefinition, Jurisdiction, User
from core.models.base import utcnow
from core.plugins import compiled_scoring, hook
from core.scoring import bind_hooks, score
from core.scoring.cache import definition_key
from core.scoring.engine import ScoreResult
from core.scoring.tree import ScoringTree
from core.workflow.service import StaleEdit, latest_published
from core.workflow.transitions import TransitionRefused

KIND = "assessment"
STATE_LABELS = {
    "open": {"zh": "待自评", "en": "Awaiting self-assessment"},
    "returned": {"zh": "自评已退回", "en": "Self-assessment returned"},
    "self_submitted": {"zh": "已自评，待评定", "en": "Self-assessed, awaiting assessment"},
    "assessed": {"zh": "已评定", "en": "Assessed"},
    None: {"zh": "未开始", "en": "Not started"},
}
SELF_EDITABLE = frozenset({"open", "returned"})


def definition_for(assessor: Jurisdiction) -> FormDefinition | None:
    return latest_published(assessor.id, KIND)


def tree_of(assessment: Assessment) -> ScoringTree:
    """The compiled scoring tree of the assessment's definition version (shared per app).

    Keyed by the definition and the grade bands applied, so a change of the assessor's
    bands is scored with the new bands at once.
    """
    definition = assessment.definition
    scoring = dict(definition.body["scoring"])
    bands = (assessment.assessor.settings or {}).get("grade_bands")
    if bands and "grades" not in scoring:
        scoring["grades"] = bands
    return compiled_scoring(scoring, key=definition_key(definition, scoring.get("grades")))


def score_stage(assessment: Assessment, stage: str, inputs: dict | None = None) -> ScoreResult:
    """Score the ``self`` or ``assessed`` stage (default: its stored inputs)."""
    if inputs is None:
        inputs = assessment.self_inputs if stage == "self" else assessment.assessed_inputs
    return score(tree_of(assessment), inputs or {}, hooks=bind_hooks(hook(), jurisdiction=assessment.assessor))


def assessments_for(assessor_id: int, year: int) -> list[Assessment]:
    return list(db.session.scalars(select(Assessment).where(
        Assessment.assessor_jurisdiction_id == assessor_id, Assessment.year == year).order_by(Assessment.id)))


def assessor_jurisdictions(user: User) -> list[Jurisdiction]:
    """Jurisdictions where ``user`` is finance and which publish an assessment sheet."""
    ids = access.assessor_jurisdictions(user)
    if not ids:
        return []
    found = db.session.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(ids)).order_by(Jurisdiction.id))
    return [j for j in found if definition_for(j) is not None]


def own_assessments(user: User) -> list[Assessment]:
    """Assessments ``user`` fills in as the assessed body."""
    candidates = db.session.scalars(select(Assessment).order_by(Assessment.year.desc(), Assessment.id))
    return [a for a in candidates if access.can_self_assess(user, a)]


def _audit(assessment: Assessment, action: str, actor: User, comment: str = "", detail=None) -> None:
    record(f"assessment.{action}", "assessment", assessment.id, actor=actor, comment=comment,
           detail={"year": assessment.year, "jurisdiction": assessment.jurisdiction.code, **(detail or {})},
           jurisdiction_id=assessment.jurisdiction_id)


def open_assessment(assessor: Jurisdiction, jurisdiction: Jurisdiction, year: int, actor: User) -> Assessment:
    """The assessor opens the year's sheet for one of its child jurisdictions."""
    if assessor.id not in access.assessor_jurisdictions(actor):
        raise TransitionRefused(gettext("只有上级单位的财务部门可以发起考核"))
    if jurisdiction.parent_id != assessor.id:
        raise TransitionRefused(gettext("「%(body)s」不是「%(assessor)s」的下级单位", body=jurisdiction.name(current_lang()),
                                        assessor=assessor.name(current_lang())))
    definition = definition_for(assessor)
    if definition is None:
        raise TransitionRefused(gettext("本辖区尚未发布工作评分表"))
    existing = db.session.scalar(select(Assessment).where(
        Assessment.jurisdiction_id == jurisdiction.id, Assessment.year == year, Assessment.definition_kind == KIND))
    if existing is not None:
        return existing
    assessment = Assessment(assessor=assessor, jurisdiction=jurisdiction, year=year, definition=definition,
                            state="open", self_inputs={}, evidence={}, assessed_inputs={})
    db.session.add(assessment)
    db.session.flush()
    _audit(assessment, "open", actor)
    return assessment


def _fresh(assessment: Assessment, lock_version) -> None:
    if lock_version is not None and int(lock_version) != assessment.lock_version:
        raise StaleEdit(gettext("评分表在您打开后已被修改，您的修改未保存。请刷新页面后再修改。"))


def save_self(assessment: Assessment, inputs: dict, evidence: dict, actor: User, lock_version=None) -> ScoreResult:
    """The assessed body saves its self scores and evidence (a draft may be incomplete)."""
    if not access.can_self_assess(actor, assessment):
        raise TransitionRefused(gettext("只有被考核单位可以填写自评分数"))
    if assessment.state not in SELF_EDITABLE:
        raise TransitionRefused(gettext("评分表状态为「%(state)s」，不能修改自评", state=label(STATE_LABELS[assessment.state])))
    _fresh(assessment, lock_version)
    assessment.self_inputs = inputs
    assessment.evidence = evidence
    result = score_stage(assessment, "self")
    assessment.self_total = result.total
    _audit(assessment, "save_self", actor, detail={"total": str(result.total)})
    return result


def submit_self(assessment: Assessment, actor: User, lock_version=None) -> ScoreResult:
    """Submit the self scores to the assessor: every item must be scored."""
    if not access.can_self_assess(actor, assessment):
        raise TransitionRefused(gettext("只有被考核单位可以提交自评"))
    if assessment.state not in SELF_EDITABLE:
        raise TransitionRefused(gettext("评分表状态为「%(state)s」，不能提交自评", state=label(STATE_LABELS[assessment.state])))
    _fresh(assessment, lock_version)
    result = score_stage(assessment, "self")
    if not result.ok:
        raise TransitionRefused(gettext("自评尚未完成，不能提交，请按提示补充"), list(result.problems))
    assessment.self_total = result.total
    assessment.state = "self_submitted"
    assessment.self_submitted_at = utcnow()
    if not assessment.assessed_inputs:
        # The assessor starts from the self scores and changes what it finds differently.
        assessment.assessed_inputs = copy.deepcopy(assessment.self_inputs)
    _audit(assessment, "submit_self", actor, detail={"total": str(result.total)})
    return result


def _require_assessor(assessment: Assessment, actor: User, lock_version) -> None:
    if not access.can_assess(actor, assessment):
        raise TransitionRefused(gettext("只有上级单位的财务部门可以评定"))
    if assessment.state != "self_submitted":
        raise TransitionRefused(gettext("评分表状态为「%(state)s」，不能评定", state=label(STATE_LABELS[assessment.state])))
    _fresh(assessment, lock_version)


def return_self(assessment: Assessment, actor: User, comment: str, lock_version=None) -> None:
    _require_assessor(assessment, actor, lock_version)
    comment = (comment or "").strip()
    if not comment:
        raise TransitionRefused(gettext("退回自评须填写说明"))
    assessment.return_comment = comment[:4000]
    assessment.state = "returned"
    _audit(assessment, "return_self", actor, comment=assessment.return_comment)


def save_assessed(assessment: Assessment, inputs: dict, actor: User, lock_version=None) -> ScoreResult:
    """The assessor saves its assessed scores (评定分数)."""
    _require_assessor(assessment, actor, lock_version)
    assessment.assessed_inputs = inputs
    result = score_stage(assessment, "assessed")
    assessment.assessed_total = result.total
    _audit(assessment, "save_assessed", actor, detail={"total": str(result.total)})
    return result


def finalise(assessment: Assessment, actor: User, lock_version=None) -> ScoreResult:
    """The assessor fixes the assessed scores; the body enters the ranking."""
    _require_assessor(assessment, actor, lock_version)
    result = score_stage(assessment, "assessed")
    if not result.ok:
        raise TransitionRefused(gettext("评定尚未完成，不能确认，请按提示补充"), list(result.problems))
    assessment.assessed_total = result.total
    assessment.state = "assessed"
    assessment.assessed_at = utcnow()
    _audit(assessment, "finalise", actor, detail={"total": str(result.total), "self_total": str(assessment.self_total)})
    return result
