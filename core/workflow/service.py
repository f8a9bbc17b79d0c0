"""Creating, saving and moving submissions through the workflow.

Views call these functions; they check permission, state and freshness, write the
revision, review and audit rows, and leave the commit to the caller so one request
is one transaction.
"""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import select, update

from core.audit import record
from core.auth import access
from core.derived import store_plan, store_score
from core.extensions import db
from core.i18n import label
from core.models import FormDefinition, Project, Review, Submission, SubmissionRevision, User
from core.plugins import hook
from core.workflow.checks import CheckResult, check, findings_to_json
from core.workflow.diff import diff_data
from core.workflow.transitions import EDITABLE_STATES, STATE_LABELS, TRANSITIONS, TransitionRefused


class StaleEdit(TransitionRefused):
    """The form was changed by someone else (or in another tab) since it was loaded."""


def latest_published(jurisdiction_id: int, kind: str) -> FormDefinition | None:
    return db.session.scalar(
        select(FormDefinition)
        .where(FormDefinition.jurisdiction_id == jurisdiction_id, FormDefinition.kind == kind,
               FormDefinition.published_at.is_not(None))
        .order_by(FormDefinition.version.desc())
    )


def latest_published_many(jurisdiction_ids, kind: str) -> dict[int, FormDefinition]:
    """The latest published definition of ``kind`` of each jurisdiction that has one, in one query."""
    rows = db.session.scalars(
        select(FormDefinition)
        .where(FormDefinition.jurisdiction_id.in_(list(jurisdiction_ids) or [-1]), FormDefinition.kind == kind,
               FormDefinition.published_at.is_not(None))
        .order_by(FormDefinition.jurisdiction_id, FormDefinition.version.desc()))
    latest: dict[int, FormDefinition] = {}
    for row in rows:
        latest.setdefault(row.jurisdiction_id, row)
    return latest


def start_submission(project: Project, kind: str, actor: User) -> Submission:
    """The project's form of ``kind``, created as a draft on the latest published definition."""
    existing = project.submission(kind)
    if existing is not None:
        return existing
    definition = latest_published(project.organization.jurisdiction_id, kind)
    if definition is None:
        raise TransitionRefused(gettext("本辖区尚未发布「%(kind)s」表单", kind=kind))
    existing = _lock_project_and_find(project, kind)
    if existing is not None:
        return existing
    submission = Submission(project=project, kind=kind, definition=definition, state="draft",
                            data=initial_data(project, definition))
    db.session.add(submission)
    db.session.flush()
    _audit(submission, "create", actor)
    return submission


def _lock_project_and_find(project: Project, kind: str) -> Submission | None:
    """Serialise the creators of one project's forms, then look for the form again.

    Two requests can both see "no form yet" (two tabs, a double click). A no-op
    UPDATE of the project row makes the second wait until the first commits — a row
    lock on PostgreSQL, the database write lock on SQLite — after which it finds the
    first one's form instead of failing on ``uq_submission_project_kind``
    (tests/concurrency/test_start_submission.py).
    """
    db.session.execute(update(Project).where(Project.id == project.id).values(code=Project.code)
                       .execution_options(synchronize_session=False))
    return db.session.scalar(select(Submission).where(Submission.project_id == project.id,
                                                      Submission.kind == kind))


PREFILL_SOURCES = {
    "project.name": lambda p: p.name,
    "project.code": lambda p: p.code,
    "project.year": lambda p: str(p.year),
    "project.budget": lambda p: f"{p.budget:.2f}",
    "organization.name": lambda p: p.organization.name,
    "jurisdiction.name": lambda p: p.organization.jurisdiction.name_zh,
}


def initial_data(project: Project, definition: FormDefinition) -> dict:
    """Pre-fill fields that declare ``prefill`` (docs/definitions.md), so nobody types the name twice."""
    fields = {}
    for section in definition.body.get("sections", []):
        for spec in section.get("fields", []):
            source = PREFILL_SOURCES.get(spec.get("prefill", ""))
            if source is not None and source(project):
                fields[spec["id"]] = source(project)
    return {"fields": fields, "milestones": {}, "indicators": []}


def _require_fresh(submission: Submission, lock_version: int | None) -> None:
    if lock_version is not None and int(lock_version) != submission.lock_version:
        raise StaleEdit(gettext("此表在您打开后已被修改（可能是他人或您在另一个窗口），您的修改未保存。"
                                "请刷新页面查看最新内容后再修改。"))


def save_draft(submission: Submission, data: dict, actor: User, lock_version: int | None) -> CheckResult:
    """Save the filer's data (even with problems: a draft may be incomplete)."""
    if not access.can_file_for(actor, submission.project.organization_id):
        raise TransitionRefused(gettext("您无权填报此项目"))
    if submission.state not in EDITABLE_STATES:
        raise TransitionRefused(gettext("此表状态为「%(state)s」，不能修改",
                                        state=label(STATE_LABELS[submission.state])))
    _require_fresh(submission, lock_version)
    result = check(submission, data)
    changes = diff_data(submission.data, data)
    # A draft keeps what was typed, even where it is still wrong ("abc" in a money
    # field): the filer must see and fix it, not find it silently dropped.
    submission.data = data
    submission.findings = findings_to_json(result.findings)
    store_score(submission, result.score)
    _audit(submission, "save", actor, detail={"changes": changes})
    return result


def apply_transition(submission: Submission, name: str, actor: User, comment: str = "",
                     field_comments: dict | None = None, lock_version: int | None = None) -> CheckResult | None:
    """Move ``submission`` through transition ``name``; raise TransitionRefused if it may not."""
    transition = TRANSITIONS[name]
    _require_permission(submission, transition, actor)
    if submission.state not in transition.sources:
        raise TransitionRefused(gettext("此表当前状态为「%(state)s」，不能「%(action)s」",
                                        state=label(STATE_LABELS[submission.state]),
                                        action=label(transition.label)))
    _require_fresh(submission, lock_version)
    comment = (comment or "").strip()
    if transition.comment_required and not comment:
        raise TransitionRefused(gettext("「%(action)s」须填写说明", action=label(transition.label)))

    result = None
    detail: dict = {"from": submission.state, "to": transition.target}
    if name == "submit":
        result = check(submission, submission.data)
        submission.findings = findings_to_json(result.findings)
        if result.score_problems and not result.problems and not result.blocking_findings:
            raise TransitionRefused(gettext("评分有误或尚未完成，不能提交，请按提示修改"), result.score_problems)
        if not result.ok_to_submit:
            raise TransitionRefused(gettext("表单有错误，不能提交，请按提示修改"),
                                    result.problems + result.score_problems, result.blocking_findings)
        store_score(submission, result.score)
        # Normalised fields replace what was typed; parts the definition validator
        # does not know (a self-evaluation's scores and scoring tree) are kept.
        submission.data = {**submission.data, **result.data}
        previous = submission.revisions[-1].data if submission.revisions else None
        detail["changes"] = diff_data(previous, submission.data)
        _revision(submission, "submitted", actor)
    elif name in ("approve", "return"):
        if name == "approve":
            # Rules can change between submission and review (a new self-evaluation form,
            # a plugin): approval re-runs the one check and refuses what it would refuse.
            result = check(submission, submission.data)
            if result.problems:
                raise TransitionRefused(gettext("表单有错误，不能审核通过，请退回修改"), result.problems)
        db.session.add(Review(submission=submission, reviewer=actor, decision=name,
                              comment=comment, field_comments=field_comments or {}))
        if name == "approve":
            _revision(submission, "approved", actor)
    elif name == "adjust":
        submission.adjustment_no += 1
        detail["adjustment_no"] = submission.adjustment_no

    submission.state = transition.target
    if name == "approve" and submission.kind == "goal":
        # The form's own versioned UPDATE first: of two reviewers approving at once, the
        # loser stops there (StaleDataError), before touching the project's stored plan.
        db.session.flush()
        store_plan(submission.project, submission.revisions[-1])
    _audit(submission, name, actor, comment=comment, detail=detail)
    hook().submission_transition_after(submission=submission, transition=name, actor=actor,
                                       comment=comment)
    return result


def _require_permission(submission: Submission, transition, actor: User) -> None:
    project = submission.project
    if transition.role.value == "filer":
        allowed = access.can_file_for(actor, project.organization_id)
    else:
        allowed = access.can_review(actor, submission)
    if not allowed:
        raise TransitionRefused(gettext("您无权对此表执行「%(action)s」", action=label(transition.label)))


def _revision(submission: Submission, event: str, actor: User) -> None:
    submission.revisions.append(SubmissionRevision(
        adjustment_no=submission.adjustment_no, event=event, definition_id=submission.definition_id,
        data=submission.data, author=actor))


def _audit(submission: Submission, action: str, actor: User, comment: str = "", detail=None) -> None:
    project = submission.project
    record(f"submission.{action}", "submission", submission.id, actor=actor, comment=comment,
           detail={"kind": submission.kind, **(detail or {})},
           jurisdiction_id=project.organization.jurisdiction_id,
           organization_id=project.organization_id)
