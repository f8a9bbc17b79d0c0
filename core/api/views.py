"""The REST API at ``/api/v1``: JSON in, JSON out, authenticated by bearer tokens.

A token acts as its user: every object is loaded through :mod:`core.auth.access`
exactly as the pages do (another organization's project is 404, never data), and
every change goes through :mod:`core.workflow.service`, so the API refuses what
the UI refuses, with the same messages, as ``{"errors": [{"path", "message",
"code"}]}``. The OpenAPI document is ``/api/v1/openapi.json``.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, g, jsonify, render_template, request, url_for
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm import selectinload

from core.api import schemas as s
from core.api.auth import authenticate, rate_limit_key
from core.api.errors import ApiError, error_item, install_error_handlers, problems_to_errors
from core.api.optional import jsonable, satisfaction_function
from core.audit import record
from core.auth import access
from core.definitions.errors import DefinitionInvalid
from core.extensions import csrf, db, limiter
from core.i18n import label
from core.models import FormDefinition, Jurisdiction, Organization, Project, Role, Submission, User
from core.params import int_arg
from core.security import NulInInput, nul_path
from core.selfeval.scoring import score_submission
from core.selfeval.start import start_self_evaluation
from core.workflow import service
from core.workflow.checks import check
from core.workflow.transitions import EDITABLE_STATES, STATE_LABELS, TRANSITIONS, TransitionRefused

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)

# Tokens, never cookies: a cross-site page cannot set the Authorization header, so
# there is nothing for a CSRF token to protect.
csrf.exempt(bp)
install_error_handlers(bp, PREFIX)

#: Endpoints readable without a token: the description of the API itself.
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document", "api.docs"})
#: Kinds a client may create through the API: the goal form by the workflow service, the
#: self-evaluation by its module (from the approved goal) when that module is installed.
CREATABLE_KINDS = ("goal", "self_evaluation")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 200
#: Keys of ``data`` a client writes; the rest (``scoring``, ``goal_revision_id``) the server keeps.
CLIENT_DATA_KEYS = {"fields_": "fields", "milestones": "milestones", "indicators": "indicators",
                    "scores": "scores", "actuals": "actuals"}
DERIVED_DATA_KEYS = ("computed",)


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "300 per minute")


limiter.shared_limit(_rate_limit, scope="api", key_func=rate_limit_key,
                     error_message=lambda: _rate_limit())(bp)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint not in PUBLIC_ENDPOINTS:
        authenticate()


@bp.after_request
def _no_store(response):
    # Answers hold data of one user's scope: no shared cache may keep them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _user() -> User:
    return g.api_user


# --- request helpers -----------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """JSON numbers were parsed as Decimal (exact); store them as their text, never a float."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _reject_constant(name: str):
    raise ValueError(f"不支持 {name}")


def _json_body() -> Any:
    if not request.is_json:
        raise ApiError(415)
    raw = request.get_data(cache=True)  # raises 413 beyond MAX_CONTENT_LENGTH
    if not raw.strip():
        raise ApiError(400, "请求体为空，应为 JSON 对象。", "empty_body")
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"请求体不是有效的 JSON：{error}", "json_syntax") from None
    except RecursionError:  # "[[[[…" thousands deep: the C decoder gives up on the stack
        raise ApiError(400, "请求体不是有效的 JSON：嵌套层数过多", "json_syntax") from None
    where = nul_path(body)  # "\u0000" in a string: PostgreSQL cannot store it (core/security.py)
    if where is not None:
        raise NulInInput(where)
    return body


def _load(schema: Schema, body: Any) -> dict:
    try:
        return schema.load(body)
    except ValidationError as error:
        raise ApiError(422, errors=s.validation_errors(error)) from None


def _choice_arg(name: str, choices) -> str | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if value not in choices:
        raise ApiError(400, f"参数 {name} 的值「{value}」不可用，可用：{'、'.join(choices)}",
                       "not_a_choice", path=name)
    return value


def _kind_or_404(kind: str) -> str:
    if kind not in s.SUBMISSION_KINDS:
        raise ApiError(404, f"未知的表单种类「{kind}」，可用：{'、'.join(s.SUBMISSION_KINDS)}", "unknown_kind")
    return kind


def _submission_or_404(project: Project, kind: str) -> Submission:
    submission = project.submission(_kind_or_404(kind))
    if submission is None:
        hint = "，可用 POST 创建" if kind in CREATABLE_KINDS else ""
        raise ApiError(404, f"此项目还没有「{kind}」表{hint}。", "no_submission")
    return submission


def _commit_or_conflict() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ApiError(409, "此表刚被他人修改，您的修改未保存。请重新读取后再试。", "stale") from None


# --- serialisation ---------------------------------------------------------------------------

def _project_data(project: Project) -> dict:
    return {
        "id": project.id, "organization_id": project.organization_id,
        "organization": project.organization.name, "jurisdiction": project.organization.jurisdiction.code,
        "code": project.code, "name": project.name, "year": project.year, "budget": project.budget,
        "multi_year": project.multi_year, "end_year": project.end_year,
        "serves_public": project.serves_public, "created_at": project.created_at,
        "submissions": [{"id": sub.id, "kind": sub.kind, "state": sub.state,
                         "lock_version": sub.lock_version} for sub in project.submissions],
    }


def _project_json(project: Project) -> dict:
    return s.ProjectSchema().dump(_project_data(project))


def _definition_data(row: FormDefinition, with_body: bool) -> dict:
    data = {"id": row.id, "jurisdiction": row.jurisdiction.code, "kind": row.kind,
            "version": row.version, "title": row.body.get("title", {}), "published_at": row.published_at}
    if with_body:
        data["body"] = row.body
    return data


def _submission_json(submission: Submission, problems=None) -> dict:
    review = submission.last_review
    if problems is None:
        problems = check(submission, submission.data).problems if submission.state in EDITABLE_STATES else []
    return s.SubmissionSchema().dump({
        "id": submission.id, "project_id": submission.project_id, "kind": submission.kind,
        "state": submission.state, "state_label": STATE_LABELS[submission.state],
        "definition_id": submission.definition_id, "definition_version": submission.definition.version,
        "adjustment_no": submission.adjustment_no, "lock_version": submission.lock_version,
        "data": submission.data, "findings": submission.findings or [],
        "last_review": None if review is None else {
            "decision": review.decision, "comment": review.comment,
            "field_comments": review.field_comments or {},
            "created_at": s.UtcDateTime()._serialize(review.created_at, None, None)},
        "updated_at": submission.updated_at,
        "problems": problems_to_errors(problems),
    })


def _refusal_errors(refused: TransitionRefused) -> list[dict]:
    errors = problems_to_errors(refused.problems)
    for finding in refused.findings:
        errors.append(error_item(finding.path, label(finding.message), finding.rule))
    return errors or [error_item("", refused.message, "refused")]


# --- the API description ---------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi_document():
    from core.api.openapi import openapi_spec
    return jsonify(openapi_spec())


@bp.get("/docs")
def docs():
    from core.api.openapi import docs_model, openapi_spec
    return render_template("api/docs.html", model=docs_model(openapi_spec()))


@bp.get("/me")
def me():
    user = _user()
    return jsonify(s.MeSchema().dump({
        "id": user.id, "username": user.username, "display_name": user.display_name,
        "token": g.api_token.name,
        "memberships": [{
            "role": m.role, "organization_id": m.organization_id,
            "organization": m.organization.name if m.organization else None,
            "jurisdiction_id": m.jurisdiction_id,
            "jurisdiction": m.jurisdiction.code if m.jurisdiction else None,
        } for m in user.memberships],
    }))


# --- definitions --------------------------------------------------------------------------------

@bp.get("/definitions")
def definitions():
    scope = access.visible_jurisdiction_ids(_user())
    kind = _choice_arg("kind", s.SUBMISSION_KINDS)
    query = (select(FormDefinition).join(Jurisdiction)
             .where(FormDefinition.jurisdiction_id.in_(scope), FormDefinition.published_at.is_not(None))
             .order_by(Jurisdiction.code, FormDefinition.kind, FormDefinition.version))
    if kind:
        query = query.where(FormDefinition.kind == kind)
    if request.args.get("jurisdiction"):
        query = query.where(Jurisdiction.code == request.args["jurisdiction"])
    rows = db.session.scalars(query).all()
    if _choice_arg("latest", ("0", "1")) == "1":
        latest: dict = {}
        for row in rows:  # ordered by version: the last one wins
            latest[(row.jurisdiction_id, row.kind)] = row
        rows = list(latest.values())
    return jsonify(s.DefinitionListSchema().dump({"items": [_definition_data(r, False) for r in rows]}))


@bp.get("/definitions/<int:definition_id>")
def definition(definition_id: int):
    row = db.session.get(FormDefinition, definition_id)
    if (row is None or not row.is_published
            or row.jurisdiction_id not in access.visible_jurisdiction_ids(_user())):
        raise ApiError(404)
    return jsonify(s.DefinitionSchema().dump(_definition_data(row, True)))


# --- projects -----------------------------------------------------------------------------------

@bp.get("/projects")
def projects():
    user = _user()
    year = int_arg("year", low=2000, high=2100)
    state = _choice_arg("state", tuple(STATE_LABELS))
    kind = _choice_arg("kind", s.SUBMISSION_KINDS) or "goal"
    organization_id = int_arg("organization_id")
    page = int_arg("page", 1, high=10**6)
    per_page = int_arg("per_page", DEFAULT_PER_PAGE, high=MAX_PER_PAGE)
    query = access.visible_projects(user)
    if year is not None:
        query = query.where(Project.year == year)
    if organization_id is not None:
        query = query.where(Project.organization_id == organization_id)
    if state is not None:
        query = query.join(Submission, (Submission.project_id == Project.id) & (Submission.kind == kind)) \
            .where(Submission.state == state)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    # Related rows in one statement each, not per project: the list stays flat at any size.
    items = db.session.scalars(query.order_by(Project.year.desc(), Project.id)
                               .options(selectinload(Project.organization).selectinload(Organization.jurisdiction),
                                        selectinload(Project.submissions).load_only(
                                            Submission.id, Submission.project_id, Submission.kind,
                                            Submission.state, Submission.lock_version))
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify(s.ProjectListSchema().dump({
        "items": [_project_data(p) for p in items], "page": page, "per_page": per_page, "total": total}))


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    return jsonify(_project_json(access.project_or_404(_user(), project_id)))


@bp.post("/projects")
def create_project():
    user = _user()
    organizations = access.filer_organizations(user)
    if not organizations:
        raise ApiError(403, "只有填报人可以创建项目。", "not_a_filer")
    body = _load(s.ProjectCreateSchema(), _json_body())
    name = body["name"].strip()
    if not name:
        raise ApiError(422, "请填写项目名称", "required", path="name")
    if not access.can_file_for(user, body["organization_id"]):
        choices = "；".join(f"{o.id}（{o.name}）" for o in organizations)
        raise ApiError(422, f"您不能为此部门填报；可选的部门：{choices}", "not_a_choice", path="organization_id")
    new = Project(organization_id=body["organization_id"], name=name, code=body["code"].strip(),
                  year=body["year"], budget=body["budget"], multi_year=body["multi_year"],
                  end_year=body["end_year"], serves_public=body["serves_public"])
    db.session.add(new)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "本部门该年度已有同名项目", "duplicate", path="name") from None
    organization = db.session.get(Organization, new.organization_id)
    record("project.create", "project", new.id, actor=user, detail={"via": "api"},
           jurisdiction_id=organization.jurisdiction_id, organization_id=new.organization_id)
    db.session.commit()
    response = jsonify(_project_json(new))
    response.status_code = 201
    response.headers["Location"] = url_for("api.project", project_id=new.id)
    return response


# --- submissions --------------------------------------------------------------------------------

@bp.get("/projects/<int:project_id>/submissions/<kind>")
def get_submission(project_id: int, kind: str):
    project = access.project_or_404(_user(), project_id)
    return jsonify(_submission_json(_submission_or_404(project, kind)))


def _filed_project(project_id: int, kind: str) -> tuple[User, Project]:
    """(the token's user, the project) for writing a form of ``kind``: 404 outside the
    user's scope or for an unknown kind, 403 for a user who may only read it."""
    user = _user()
    project = access.project_or_404(user, project_id)
    _kind_or_404(kind)
    if not access.can_file_for(user, project.organization_id):
        raise ApiError(403, "您无权填报此项目", "forbidden")
    return user, project


@bp.post("/projects/<int:project_id>/submissions/<kind>")
def start_submission(project_id: int, kind: str):
    user, project = _filed_project(project_id, kind)
    existing = project.submission(kind)
    if existing is not None:
        return jsonify(_submission_json(existing))
    start = _starter(kind)
    if start is None:
        raise ApiError(422, f"「{kind}」表不能通过 API 创建，请在系统界面中创建后再通过 API 填写。",
                       "not_creatable")
    try:
        submission = start(project, user)
        db.session.commit()
    except TransitionRefused as refused:
        db.session.rollback()
        raise ApiError(422, refused.message, "refused") from None
    response = jsonify(_submission_json(submission))
    response.status_code = 201
    return response


def _starter(kind: str):
    """How a submission of ``kind`` is created, or None when the API cannot create it."""
    if kind == "goal":
        return lambda project, user: service.start_submission(project, kind, user)
    if kind == "self_evaluation":
        return start_self_evaluation
    return None


def _new_data(old: dict, loaded: dict) -> dict:
    """The client's keys replace the old ones (omitted → empty); server-kept keys stay."""
    old = old or {}
    data = {key: value for key, value in old.items()
            if key not in CLIENT_DATA_KEYS.values() and key not in DERIVED_DATA_KEYS}
    for attribute, key in CLIENT_DATA_KEYS.items():
        if attribute in loaded:
            data[key] = _plain(loaded[attribute])
        elif key in old:
            data[key] = [] if isinstance(old[key], list) else {}
    from core.webforms.builder import new_row_id
    for row in data.get("indicators", []):
        if not row.get("id"):
            row["id"] = new_row_id()
    return data


@bp.put("/projects/<int:project_id>/submissions/<kind>")
def save_submission(project_id: int, kind: str):
    user, project = _filed_project(project_id, kind)
    submission = _submission_or_404(project, kind)
    body = _load(s.DraftSchema(), _json_body())
    if submission.state not in EDITABLE_STATES:
        raise ApiError(409, f"此表状态为「{STATE_LABELS[submission.state]['zh']}」，不能修改",
                       "not_editable", path="")
    data = _new_data(submission.data, body["data"])
    try:
        result = service.save_draft(submission, data, user, body["lock_version"])
    except service.StaleEdit as stale:
        db.session.rollback()
        raise ApiError(409, stale.message, "stale", path="lock_version") from None
    except TransitionRefused as refused:
        db.session.rollback()
        raise ApiError(422, errors=_refusal_errors(refused)) from None
    _commit_or_conflict()
    return jsonify(_submission_json(submission, problems=result.problems))


@bp.post("/projects/<int:project_id>/submissions/<kind>/transitions")
def transition(project_id: int, kind: str):
    user = _user()
    project = access.project_or_404(user, project_id)
    submission = _submission_or_404(project, kind)
    may_file = access.can_file_for(user, project.organization_id)
    may_review = access.can_review(user, submission)
    if not (may_file or may_review):  # leaders and admins read, they never move a form
        raise ApiError(403, "您无权对此表执行任何操作", "forbidden")
    body = _load(s.TransitionSchema(), _json_body())
    move = TRANSITIONS[body["transition"]]
    if not (may_file if move.role == Role.FILER else may_review):
        raise ApiError(403, f"您无权对此表执行「{move.label['zh']}」", "forbidden")
    if submission.state not in move.sources:
        raise ApiError(409, f"此表当前状态为「{STATE_LABELS[submission.state]['zh']}」，"
                            f"不能「{move.label['zh']}」", "wrong_state")
    if move.comment_required and not body["comment"].strip():
        raise ApiError(422, f"「{move.label['zh']}」须填写说明", "required", path="comment")
    try:
        service.apply_transition(submission, move.name, user, comment=body["comment"],
                                 field_comments={k: v.strip() for k, v in body["field_comments"].items()
                                                 if v.strip()},
                                 lock_version=body["lock_version"])
    except service.StaleEdit as stale:
        db.session.rollback()
        raise ApiError(409, stale.message, "stale", path="lock_version") from None
    except TransitionRefused as refused:
        db.session.rollback()
        raise ApiError(422, errors=_refusal_errors(refused)) from None
    _commit_or_conflict()
    return jsonify(_submission_json(submission))


# --- results of other modules ---------------------------------------------------------------------

@bp.get("/projects/<int:project_id>/score")
def score(project_id: int):
    project = access.project_or_404(_user(), project_id)
    submission = project.submission("self_evaluation")
    if submission is None:
        raise ApiError(404, "此项目还没有自评表（self_evaluation），没有评分。", "no_submission")
    try:
        result = score_submission(submission)
    except DefinitionInvalid as invalid:
        raise ApiError(422, errors=problems_to_errors(invalid.problems)) from None
    if result is None:
        raise ApiError(404, "此自评表尚无评分结果。", "no_score")
    return jsonify(s.ScoreSchema().dump({"project_id": project.id, "submission_id": submission.id,
                                         "state": submission.state, "result": jsonable(result)}))


@bp.get("/projects/<int:project_id>/survey")
def survey_result(project_id: int):
    project = access.project_or_404(_user(), project_id)
    function = satisfaction_function()
    if function is None:
        raise ApiError(404, "满意度调查结果尚不可用：survey.satisfaction_result 不存在。",
                       "survey_unavailable")
    result = function(project)
    if result is None:
        raise ApiError(404, "此项目尚无满意度调查结果。", "no_survey")
    return jsonify(s.SurveyResultSchema().dump({"project_id": project.id, "result": jsonable(result)}))
