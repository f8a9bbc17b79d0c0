"""The OpenAPI 3 document of ``/api/v1``, generated from the marshmallow schemas.

Request and response bodies come from :mod:`core.api.schemas` through apispec's
marshmallow plugin; the operations are listed here, next to each other, so the
document and the routes are easy to compare (a test checks that every API route
is documented and that the document validates).
"""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from core.api import schemas as s
from core.params import MAX_ID
from core.workflow.transitions import STATE_LABELS

TITLE = "预算绩效管理平台 API"
VERSION = "1.0.0"
OPENAPI_VERSION = "3.0.3"
CACHE_KEY = "perfforms.openapi"

DESCRIPTION = """\
JSON 接口。每个请求须带请求头 Authorization: Bearer <令牌>（在“账户 → API 令牌”页面创建，令牌只显示一次）。\
令牌以其用户的角色和范围行事：看不到的对象一律 404。

所有错误都是 {"errors": [{"path", "message", "code"}]}：path 是请求体中的键或表单数据中的路径\
（fields.budget_total、indicators[2].target），message 说明错在哪里、是什么，code 是稳定的代码。\
400 请求无效，401 令牌缺失、无效或已吊销，403 无权，404 不存在或不在您的范围内，\
409 状态冲突或数据已被他人修改（lock_version 过期），413 请求过大，415 不是 JSON，\
422 内容无效（与界面拒绝的相同），429 请求过于频繁（按令牌计），\
500 系统出错（code 为 internal_error，reference 是服务器日志中的参考编号）。

金额是两位小数的字符串（"8.83"），从不使用浮点数。
"""

_ERROR_RESPONSES = {
    "400": "请求无效（参数或 JSON 语法）", "401": "缺少令牌，或令牌无效、已吊销",
    "403": "无权执行此操作", "404": "对象不存在，或不在您的范围内", "409": "与当前状态冲突，或 lock_version 已过期",
    "413": "请求内容过大", "415": "请求体不是 JSON", "422": "内容无效：errors 列出每个问题的位置和说明",
    "429": "请求过于频繁",
}


def _json(schema) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok_code: str, ok_schema, ok_text: str, *errors: str) -> dict:
    responses = {ok_code: {"description": ok_text, **_json(ok_schema)}}
    for code in ("401", "429", *errors):
        responses[code] = {"description": _ERROR_RESPONSES[code], **_json("Error")}
    return responses


def _path_param(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


PROJECT_ID = _path_param("project_id", "项目 id")
KIND = _path_param("kind", "表单种类", {"type": "string", "enum": list(s.SUBMISSION_KINDS)})

OPERATIONS: dict[str, dict] = {
    "/me": {"get": {
        "summary": "当前令牌的用户及其角色", "operationId": "getMe", "tags": ["账户"],
        "responses": _responses("200", "Me", "用户、令牌名称与授权范围")}},
    "/definitions": {"get": {
        "summary": "已发布的表单定义（您所在辖区的）", "operationId": "listDefinitions", "tags": ["表单定义"],
        "parameters": [
            _query("kind", "只列出此种类", {"type": "string", "enum": list(s.SUBMISSION_KINDS)}),
            _query("jurisdiction", "辖区代码", {"type": "string"}),
            _query("latest", "为 1 时每个辖区和种类只列最新版本", {"type": "string", "enum": ["0", "1"]})],
        "responses": _responses("200", "DefinitionList", "定义列表（不含全文）", "400")}},
    "/definitions/{definition_id}": {"get": {
        "summary": "一个定义及其 JSON 全文", "operationId": "getDefinition", "tags": ["表单定义"],
        "parameters": [_path_param("definition_id", "定义 id")],
        "responses": _responses("200", "Definition", "定义", "404")}},
    "/projects": {
        "get": {
            "summary": "您范围内的项目", "operationId": "listProjects", "tags": ["项目"],
            "parameters": [
                _query("year", "年度", {"type": "integer", "minimum": 2000, "maximum": 2100}),
                _query("state", "表单状态（配合 kind，默认 goal）", {"type": "string", "enum": list(STATE_LABELS)}),
                _query("kind", "state 所指的表单种类", {"type": "string", "enum": list(s.SUBMISSION_KINDS)}),
                _query("organization_id", "部门 id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}),
                _query("page", "页码（从 1 开始）", {"type": "integer", "minimum": 1, "maximum": 10**6}),
                _query("per_page", "每页条数（最多 200）", {"type": "integer", "minimum": 1, "maximum": 200})],
            "responses": _responses("200", "ProjectList", "项目列表", "400")},
        "post": {
            "summary": "创建项目（填报人，为本人部门）", "operationId": "createProject", "tags": ["项目"],
            "requestBody": {"required": True, **_json("ProjectCreate")},
            "responses": _responses("201", "Project", "已创建", "400", "403", "409", "413", "415", "422")}},
    "/projects/{project_id}": {"get": {
        "summary": "一个项目", "operationId": "getProject", "tags": ["项目"], "parameters": [PROJECT_ID],
        "responses": _responses("200", "Project", "项目", "404")}},
    "/projects/{project_id}/submissions/{kind}": {
        "get": {
            "summary": "项目的一张表：数据、审查意见、状态、lock_version", "operationId": "getSubmission",
            "tags": ["表单"], "parameters": [PROJECT_ID, KIND],
            "responses": _responses("200", "Submission", "表单", "404")},
        "post": {
            "summary": "创建项目的表（草稿）：goal；self_evaluation 须绩效目标表已批复", "operationId": "startSubmission",
            "tags": ["表单"], "parameters": [PROJECT_ID, KIND],
            "responses": {**_responses("201", "Submission", "已创建", "403", "404", "422"),
                          "200": {"description": "已存在，原样返回", **_json("Submission")}}},
        "put": {
            "summary": "保存草稿（整表替换；须带 lock_version）", "operationId": "saveSubmission",
            "tags": ["表单"], "parameters": [PROJECT_ID, KIND],
            "requestBody": {"required": True, **_json("Draft")},
            "responses": _responses("200", "Submission", "已保存；problems 列出仍需解决的问题",
                                    "400", "403", "404", "409", "413", "415", "422")}},
    "/projects/{project_id}/submissions/{kind}/transitions": {"post": {
        "summary": "流转：submit 提交、approve 通过、return 退回、adjust 申请调整", "operationId": "transition",
        "tags": ["表单"], "parameters": [PROJECT_ID, KIND],
        "requestBody": {"required": True, **_json("Transition")},
        "responses": _responses("200", "Submission", "已流转", "400", "403", "404", "409", "413", "415", "422")}},
    "/projects/{project_id}/score": {"get": {
        "summary": "自评表的评分结果", "operationId": "getScore", "tags": ["结果"], "parameters": [PROJECT_ID],
        "responses": _responses("200", "Score", "评分结果", "404", "422")}},
    "/projects/{project_id}/survey": {"get": {
        "summary": "满意度调查结果", "operationId": "getSurveyResult", "tags": ["结果"],
        "parameters": [PROJECT_ID], "responses": _responses("200", "SurveyResult", "调查结果", "404")}},
}

SCHEMAS = {
    "Error": s.ErrorSchema, "ErrorItem": s.ErrorItemSchema, "Me": s.MeSchema,
    "Membership": s.MembershipSchema, "DefinitionSummary": s.DefinitionSummarySchema,
    "Definition": s.DefinitionSchema, "DefinitionList": s.DefinitionListSchema,
    "SubmissionRef": s.SubmissionRefSchema, "Project": s.ProjectSchema, "ProjectList": s.ProjectListSchema,
    "ProjectCreate": s.ProjectCreateSchema, "IndicatorRow": s.IndicatorRowSchema,
    "SubmissionData": s.SubmissionDataSchema, "Submission": s.SubmissionSchema, "Draft": s.DraftSchema,
    "Transition": s.TransitionSchema, "Score": s.ScoreSchema, "SurveyResult": s.SurveyResultSchema,
}


def _schema_name_resolver(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return next((name for name, known in SCHEMAS.items() if known is cls), cls.__name__.removesuffix("Schema"))


def build_spec(server_url: str = "/api/v1") -> dict:
    """The OpenAPI document as a dict."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name_resolver)
    spec = APISpec(title=TITLE, version=VERSION, openapi_version=OPENAPI_VERSION, plugins=[plugin],
                   info={"description": DESCRIPTION}, servers=[{"url": server_url}],
                   security=[{"bearerAuth": []}])
    plugin.map_to_openapi_type(s.Money, "string", "decimal")
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "个人 API 令牌（账户 → API 令牌）：Authorization: Bearer <令牌>"})
    for name, schema in SCHEMAS.items():
        if name not in spec.components.schemas:  # nested schemas register themselves
            spec.components.schema(name, schema=schema)
    for path, operations in OPERATIONS.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def openapi_spec() -> dict:
    """The document for the running app (built once per app)."""
    cache = current_app.extensions
    if CACHE_KEY not in cache:
        cache[CACHE_KEY] = build_spec()
    return cache[CACHE_KEY]


# --- the human page (/api/v1/docs) ------------------------------------------------------------------

def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_text(schema: dict | None) -> tuple[str, str | None]:
    """A property's type for people: (text, name of the schema it links to or None)."""
    if not schema:
        return "any", None
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return name, name
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return type_text(schema["allOf"][0])
    kind = schema.get("type", "any")
    if kind == "array":
        inner, link = type_text(schema.get("items"))
        return f"{inner}[]", link
    text = kind + (f" ({schema['format']})" if schema.get("format") else "")
    if schema.get("enum"):
        text += ": " + " | ".join(str(v) for v in schema["enum"] if v is not None)
    if schema.get("nullable"):
        text += " | null"
    return text, None


def docs_model(spec: dict) -> dict:
    """The document rearranged for the HTML tables of the docs page."""
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "anchor": op.get("operationId", f"{method}-{path}"),
                "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                "type": type_text(p.get("schema"))[0], "description": p.get("description", "")}
                               for p in op.get("parameters", [])],
                "body": type_text(body) if body else None,
                "responses": [{"code": code, "description": r.get("description", ""),
                               "type": type_text(r.get("content", {}).get("application/json", {}).get("schema"))}
                              for code, r in op.get("responses", {}).items()],
            })
    schemas = []
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", []))
        schemas.append({"name": name, "properties": [
            {"name": prop, "type": type_text(sub), "required": prop in required,
             "description": sub.get("description", "")}
            for prop, sub in schema.get("properties", {}).items()]})
    return {"title": spec["info"]["title"], "version": spec["info"]["version"],
            "description": spec["info"].get("description", ""), "servers": spec.get("servers", []),
            "operations": operations, "schemas": schemas}
