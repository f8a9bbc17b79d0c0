"""The database side of low-code administration: jurisdictions, drafts, publishing,
settings and packs. Views call these functions; they check, write rows and audit
events, and leave the commit to the caller so one request is one transaction.

Versions. A kind's published versions never change (``FormDefinition`` refuses).
An admin edits a *draft*: one unpublished row per kind whose version is one more
than the newest published. Publishing stamps ``published_at`` (renumbering the
draft if a pack import or sync published a version meanwhile). Submissions point
at the row they were filled with, so they keep rendering and scoring with it.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.audit import record
from core.auth import access
from core.config import MiB
from core.definitions.errors import DefinitionInvalid, Problem
from core.definitions.loader import validate_definition
from core.definitions.messages import problem
from core.definitions.pack import pack_from_json
from core.definitions.schema import KINDS, PackSchema, check_structure
from core.extensions import db
from core.i18n import label
from core.security import nul_path
from core.jurisdictions import SETTING_KEYS, store_pack
from core.models import FormDefinition, Jurisdiction, Membership, Organization, Role, User
from core.models.base import utcnow
from core.params import is_id

from . import blank

#: The largest pack file accepted (the app's request limit is the same 10 MB).
MAX_PACK_BYTES = 10 * MiB
#: Nested deeper than this, a JSON document is an attack, not a pack.
MAX_JSON_DEPTH = 64
#: Codes that would collide with the admin pages' own addresses (/admin/jurisdictions/new).
RESERVED_CODES = frozenset({"new"})
DEFAULT_GRADE_BANDS = [
    {"min": 90, "label": {"zh": "优", "en": "Excellent"}},
    {"min": 80, "label": {"zh": "良", "en": "Good"}},
    {"min": 60, "label": {"zh": "中", "en": "Fair"}},
    {"min": 0, "label": {"zh": "差", "en": "Poor"}},
]


class AdminRefused(Exception):
    """An admin change that cannot be made; ``problems`` say where and why."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()):
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


# ------------------------------------------------------------------ access ----

def administered_ids(user) -> set[int]:
    """Jurisdictions ``user`` administers: where they are admin, and everything below."""
    if not user.is_authenticated:
        return set()
    return access.jurisdiction_scope(user, Role.ADMIN)


def is_admin(user) -> bool:
    return bool(administered_ids(user))


def may_administer(user, jurisdiction: Jurisdiction | None) -> bool:
    return jurisdiction is not None and jurisdiction.id in administered_ids(user)


def by_code(code: str) -> Jurisdiction | None:
    return db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))


# ------------------------------------------------------------------- forms ----

def versions(jurisdiction: Jurisdiction, kind: str) -> list[FormDefinition]:
    return list(db.session.scalars(select(FormDefinition).where(
        FormDefinition.jurisdiction_id == jurisdiction.id, FormDefinition.kind == kind)
        .order_by(FormDefinition.version)))


def kinds(jurisdiction: Jurisdiction) -> list[str]:
    """The kinds of form this jurisdiction has, in the platform's order."""
    present = set(db.session.scalars(select(FormDefinition.kind).where(
        FormDefinition.jurisdiction_id == jurisdiction.id).distinct()))
    return [k for k in KINDS if k in present] + sorted(present - set(KINDS))


def latest_published(jurisdiction: Jurisdiction, kind: str) -> FormDefinition | None:
    return db.session.scalar(select(FormDefinition).where(
        FormDefinition.jurisdiction_id == jurisdiction.id, FormDefinition.kind == kind,
        FormDefinition.published_at.is_not(None)).order_by(FormDefinition.version.desc()))


def draft_of(jurisdiction: Jurisdiction, kind: str) -> FormDefinition | None:
    return db.session.scalar(select(FormDefinition).where(
        FormDefinition.jurisdiction_id == jurisdiction.id, FormDefinition.kind == kind,
        FormDefinition.published_at.is_(None)).order_by(FormDefinition.version.desc()))


def working_copy(jurisdiction: Jurisdiction, kind: str) -> FormDefinition | None:
    """What the editor opens: the draft, else the newest published version."""
    return draft_of(jurisdiction, kind) or latest_published(jurisdiction, kind)


def _max_version(jurisdiction: Jurisdiction, kind: str, published_only: bool = False) -> int:
    query = select(func.max(FormDefinition.version)).where(
        FormDefinition.jurisdiction_id == jurisdiction.id, FormDefinition.kind == kind)
    if published_only:
        query = query.where(FormDefinition.published_at.is_not(None))
    return db.session.scalar(query) or 0


def _goal_body(jurisdiction: Jurisdiction) -> dict | None:
    row = working_copy(jurisdiction, "goal")
    return row.body if row is not None else None


def _walk_nodes(nodes: Any, path: str):
    for index, node in enumerate(nodes if isinstance(nodes, list) else []):
        if isinstance(node, Mapping):
            where = f"{path}[{index}]"
            yield node, where
            yield from _walk_nodes(node.get("children"), f"{where}.children")


def form_problems(jurisdiction: Jurisdiction, kind: str, body: Any, lang: str = "zh") -> tuple[list[Problem], list[Problem]]:
    """Every problem of ``body`` as form ``kind`` of ``jurisdiction``, and warnings.

    Problems block publishing: the definition language's own validation, the kind
    and the money unit of the pack. Warnings do not: a self-evaluation generated
    from goal-form categories that a project may leave empty.
    """
    if not isinstance(body, Mapping):
        return [problem("", "not_object", lang)], []
    problems = list(validate_definition(body, lang))
    if isinstance(body.get("kind"), str) and body["kind"] != kind:
        problems.append(Problem("kind", f"此处编辑的是「{kind}」表单，定义中的 kind 却是「{body['kind']}」", "kind_mismatch"))
    money_unit = (jurisdiction.settings or {}).get("money_unit")
    if isinstance(body.get("unit"), str) and money_unit and body["unit"] != money_unit:
        problems.append(problem("unit", "unit_mismatch", lang, unit=body["unit"], money_unit=money_unit))
    warnings = []
    scoring = body.get("scoring")
    if kind != "goal" and isinstance(scoring, Mapping):
        goal = _goal_body(jurisdiction) or {}
        tree = goal.get("indicator_tree") if isinstance(goal.get("indicator_tree"), Mapping) else {}
        listed = tree.get("categories") if isinstance(tree.get("categories"), list) else []
        categories = {c.get("id"): c for c in listed if isinstance(c, Mapping)}
        min_rows = tree.get("min_rows") if isinstance(tree.get("min_rows"), Mapping) else {}
        for node, where in _walk_nodes(scoring.get("nodes"), "scoring.nodes"):
            spec = node.get("from_goal")
            if not isinstance(spec, Mapping) or node.get("children"):
                continue
            level1 = spec.get("level1")
            if level1 not in categories:
                problems.append(Problem(f"{where}.from_goal.level1",
                                        f"本辖区的绩效目标表没有一级指标「{level1}」，可用：{'、'.join(map(str, categories)) or '（无）'}",
                                        "goal_level_unknown"))
            elif not isinstance(min_rows.get(level1), int) or min_rows.get(level1) < 1:
                name = categories[level1].get("label")
                name = name.get("zh", level1) if isinstance(name, Mapping) else level1
                warnings.append(Problem(f"{where}.from_goal.level1",
                                        f"绩效目标表不要求「{name}」至少填一行"
                                        f"（min_rows），没有该类指标的项目将无法生成自评表", "goal_rows_optional"))
    return problems, warnings


def save_draft(jurisdiction: Jurisdiction, kind: str, body: dict, actor, how: str = "structured") -> FormDefinition:
    """Store ``body`` as the draft of ``kind`` (created as the next version on first save).

    A draft may still have problems: it is work in progress, like a filer's draft;
    publishing refuses it until they are fixed.
    """
    if kind not in KINDS:
        raise AdminRefused(gettext("未知的表单种类「%(kind)s」", kind=kind))
    draft = draft_of(jurisdiction, kind)
    if draft is None:
        draft = FormDefinition(jurisdiction=jurisdiction, kind=kind, version=_max_version(jurisdiction, kind) + 1,
                               body={})
        db.session.add(draft)
    stored = copy.deepcopy(body)
    stored["version"] = draft.version
    if draft.body != stored:
        draft.body = stored
    db.session.flush()
    record("definition.draft", "form_definition", draft.id, actor=actor,
           detail={"kind": kind, "version": draft.version, "editor": how}, jurisdiction_id=jurisdiction.id)
    return draft


def publish(jurisdiction: Jurisdiction, kind: str, actor) -> FormDefinition:
    """Publish the draft of ``kind``; refused (with every problem) while it has problems."""
    draft = draft_of(jurisdiction, kind)
    if draft is None:
        raise AdminRefused(gettext("没有可发布的草稿：请先编辑并保存"))
    problems, _warnings = form_problems(jurisdiction, kind, draft.body)
    if problems:
        raise AdminRefused(gettext("草稿有 %(n)s 处问题，不能发布", n=len(problems)), problems)
    newest = _max_version(jurisdiction, kind, published_only=True)
    if draft.version <= newest:  # a pack import published meanwhile: this becomes the next one
        draft.version = newest + 1
    body = copy.deepcopy(draft.body)
    body["version"] = draft.version
    draft.body = body
    draft.published_at = utcnow()
    db.session.flush()
    record("definition.publish", "form_definition", draft.id, actor=actor,
           detail={"kind": kind, "version": draft.version}, jurisdiction_id=jurisdiction.id)
    return draft


def discard_draft(jurisdiction: Jurisdiction, kind: str, actor) -> None:
    draft = draft_of(jurisdiction, kind)
    if draft is None:
        return
    if versions(jurisdiction, kind) == [draft]:
        raise AdminRefused(gettext("这是该表单唯一的版本，不能放弃；请修改后发布"))
    record("definition.discard", "form_definition", draft.id, actor=actor,
           detail={"kind": kind, "version": draft.version}, jurisdiction_id=jurisdiction.id)
    db.session.delete(draft)
    db.session.flush()


def add_form(jurisdiction: Jurisdiction, kind: str, actor) -> FormDefinition:
    """Start a form of a kind the jurisdiction does not have yet, from the minimal template."""
    if kind not in blank.KIND_LABELS:
        raise AdminRefused(gettext("未知的表单种类「%(kind)s」", kind=kind))
    if kind in kinds(jurisdiction):
        raise AdminRefused(gettext("已有「%(form)s」", form=label(blank.KIND_LABELS[kind])))
    unit = (jurisdiction.settings or {}).get("money_unit") or "万元"
    return save_draft(jurisdiction, kind, blank.blank_form(jurisdiction.code, kind, unit), actor, how="template")


# ------------------------------------------------------------ jurisdictions ----

@dataclass
class JurisdictionSpec:
    """What the create and settings pages ask for."""

    code: str = ""
    name_zh: str = ""
    name_en: str = ""
    parent: str = ""
    money_unit: str = "万元"
    months: list[int] = field(default_factory=lambda: list(blank.DEFAULT_MONTHS))
    complete_by: int = blank.DEFAULT_COMPLETE_BY
    grade_bands: list[dict] = field(default_factory=lambda: copy.deepcopy(DEFAULT_GRADE_BANDS))
    quality_rules: dict[str, str] = field(default_factory=dict)
    clone_from: str = ""


def _pack_doc(spec: JurisdictionSpec, forms: Mapping[str, str], extra: Mapping[str, Any] | None = None) -> dict:
    doc = {"code": spec.code, "name": {"zh": spec.name_zh, **({"en": spec.name_en} if spec.name_en else {})},
           "parent": spec.parent or None, "money_unit": spec.money_unit, "forms": dict(forms),
           "grade_bands": spec.grade_bands, "quality_rules": spec.quality_rules}
    for key, value in (extra or {}).items():
        doc.setdefault(key, value)
    return doc


def _settings_problems(spec: JurisdictionSpec, quality_ids: Iterable[str]) -> list[Problem]:
    problems = []
    known = set(quality_ids)
    for rule in spec.quality_rules:
        if rule not in known:
            problems.append(Problem(f"quality_rules.{rule}", f"未知的目标质量规则「{rule}」", "unknown_rule"))
    if spec.parent and by_code(spec.parent) is None:
        problems.append(Problem("parent", f"上级辖区「{spec.parent}」不存在", "parent_unknown"))
    return problems


def create_jurisdiction(spec: JurisdictionSpec, actor, quality_ids: Iterable[str],
                        input_problems: Iterable[Problem] = ()) -> Jurisdiction:
    """Create a jurisdiction with version-1 drafts of its forms: blank or cloned from a built-in pack.

    Everything is validated first (as one pack); nothing is written when anything is
    wrong — ``input_problems`` (found while reading the page) included.
    """
    problems = list(input_problems) + _settings_problems(spec, quality_ids)
    if spec.code in RESERVED_CODES:
        problems.append(Problem("code", f"「{spec.code}」是保留字，不能用作辖区代码", "code_reserved"))
    if spec.code and by_code(spec.code) is not None:
        problems.append(Problem("code", f"辖区代码「{spec.code}」已被使用", "code_taken"))
    if spec.parent and not may_administer(actor, by_code(spec.parent)):
        problems.append(Problem("parent", "您不是该上级辖区的管理员，不能在其下创建辖区", "parent_forbidden"))
    forms: dict[str, dict] = {}
    extra: dict[str, Any] = {}
    if spec.clone_from:
        source = by_code(spec.clone_from)
        if source is None or not source.builtin:
            problems.append(Problem("clone_from", f"「{spec.clone_from}」不是内置辖区，不能复制", "clone_unknown"))
        else:
            for kind in kinds(source):
                row = latest_published(source, kind)
                if row is not None:
                    forms[kind] = blank.retarget(row.body, spec.code, kind, spec.money_unit)
            extra = {k: v for k, v in (source.settings or {}).items() if k in ("workflow", "body")}
    else:
        forms = {"goal": blank.blank_goal(spec.code, spec.money_unit, spec.months, spec.complete_by),
                 "self_evaluation": blank.blank_self_evaluation(spec.code, spec.money_unit)}
    if "goal" in forms:
        forms["goal"] = blank.with_milestones(forms["goal"], spec.months, spec.complete_by)
    doc = _pack_doc(spec, {kind: f"{kind}.json" for kind in forms}, extra)
    try:
        pack_from_json({**doc, "forms": forms})
    except DefinitionInvalid as invalid:
        problems.extend(invalid.problems)
    if problems:
        raise AdminRefused(gettext("有 %(n)s 处问题，未创建辖区", n=len(problems)), problems)
    jurisdiction = Jurisdiction(code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en or "", builtin=False,
                                parent=by_code(spec.parent) if spec.parent else None,
                                settings={key: doc[key] for key in SETTING_KEYS if doc.get(key) is not None})
    db.session.add(jurisdiction)
    db.session.flush()
    record("jurisdiction.create", "jurisdiction", jurisdiction.id, actor=actor, jurisdiction_id=jurisdiction.id,
           detail={"code": spec.code, "clone_from": spec.clone_from or None, "kinds": sorted(forms)})
    if not may_administer(actor, jurisdiction):
        # A top-level jurisdiction: its creator becomes its admin, or nobody could administer it.
        actor.memberships.append(Membership(role=Role.ADMIN.value, jurisdiction=jurisdiction))
        db.session.flush()
        record("membership.create", "user", actor.id, actor=actor, jurisdiction_id=jurisdiction.id,
               detail={"role": Role.ADMIN.value, "scope": spec.code})
    for kind, body in forms.items():
        save_draft(jurisdiction, kind, body, actor, how="clone" if spec.clone_from else "template")
    return jurisdiction


def spec_of(jurisdiction: Jurisdiction) -> JurisdictionSpec:
    """The settings page's values for an existing jurisdiction."""
    settings = jurisdiction.settings or {}
    goal = _goal_body(jurisdiction) or {}
    plan = goal.get("milestones") if isinstance(goal.get("milestones"), Mapping) else {}
    points = plan.get("points") if isinstance(plan.get("points"), list) else []
    return JurisdictionSpec(
        code=jurisdiction.code, name_zh=jurisdiction.name_zh, name_en=jurisdiction.name_en or "",
        parent=jurisdiction.parent.code if jurisdiction.parent is not None else "",
        money_unit=settings.get("money_unit") or "万元",
        months=[p.get("month") for p in points if isinstance(p, Mapping) and isinstance(p.get("month"), int)],
        complete_by=plan.get("complete_by_month") if isinstance(plan.get("complete_by_month"), int) else 12,
        grade_bands=copy.deepcopy(settings.get("grade_bands") or DEFAULT_GRADE_BANDS),
        quality_rules=dict(settings.get("quality_rules") or {}))


def update_settings(jurisdiction: Jurisdiction, spec: JurisdictionSpec, actor, quality_ids: Iterable[str],
                    input_problems: Iterable[Problem] = ()) -> list[str]:
    """Change names, money unit, grade bands, quality rules and the goal form's spending plan.

    A changed money unit or spending plan is a change of the forms: it is written
    into their drafts (created when needed) for the admin to check and publish.
    :return: the kinds whose drafts were changed.
    """
    problems = list(input_problems) + _settings_problems(spec, quality_ids)
    if spec.parent:
        parent = by_code(spec.parent)
        if parent is not None and jurisdiction.id in {j.id for j in parent.ancestors_and_self()}:
            problems.append(Problem("parent", "上级辖区不能是本辖区或其下级", "parent_cycle"))
        elif parent is not None and not may_administer(actor, parent) and parent != jurisdiction.parent:
            problems.append(Problem("parent", "您不是该上级辖区的管理员", "parent_forbidden"))
    if (spec.parent or "") != (jurisdiction.parent.code if jurisdiction.parent is not None else ""):
        chain = {jurisdiction.id} | ({j.id for j in by_code(spec.parent).ancestors_and_self()}
                                     if spec.parent and by_code(spec.parent) is not None else set())
        roots = {m.jurisdiction_id for m in actor.memberships if m.role == Role.ADMIN.value}
        if not chain & roots:
            problems.append(Problem("parent", "改变上级后您将不再是此辖区的管理员，未保存", "parent_lockout"))
    doc = _pack_doc(spec, {})
    problems += [p for p in check_structure(doc, PackSchema()) if not p.path.startswith("forms")]
    from core.definitions.pack import _band_order  # the pack's own rule: bands high to low, ending at 0
    problems += _band_order(doc, "zh")
    changed_kinds = []
    goal = working_copy(jurisdiction, "goal")
    new_goal = None
    if goal is not None and isinstance(goal.body.get("milestones"), Mapping):
        plan = goal.body["milestones"]
        points = plan.get("points") if isinstance(plan.get("points"), list) else []
        months = [p.get("month") for p in points if isinstance(p, Mapping)]
        if months != spec.months or plan.get("complete_by_month") != spec.complete_by:
            new_goal = blank.with_milestones(goal.body, spec.months, spec.complete_by)
    if problems:
        raise AdminRefused(gettext("有 %(n)s 处问题，设置未保存", n=len(problems)), problems)
    before = spec_of(jurisdiction)
    jurisdiction.name_zh, jurisdiction.name_en = spec.name_zh, spec.name_en or ""
    if (spec.parent or "") != before.parent:
        jurisdiction.parent = by_code(spec.parent) if spec.parent else None
    settings = dict(jurisdiction.settings or {})
    settings.update({"money_unit": spec.money_unit, "grade_bands": spec.grade_bands,
                     "quality_rules": spec.quality_rules})
    jurisdiction.settings = settings
    if new_goal is not None:
        save_draft(jurisdiction, "goal", new_goal, actor, how="settings")
        changed_kinds.append("goal")
    if spec.money_unit != before.money_unit:
        for kind in kinds(jurisdiction):
            row = working_copy(jurisdiction, kind)
            if row is not None and row.body.get("unit") != spec.money_unit:
                body = copy.deepcopy(row.body)
                body["unit"] = spec.money_unit
                save_draft(jurisdiction, kind, body, actor, how="settings")
                if kind not in changed_kinds:
                    changed_kinds.append(kind)
    after = spec_of(jurisdiction)
    changes = {key: {"old": getattr(before, key), "new": getattr(after, key)}
               for key in ("name_zh", "name_en", "parent", "money_unit", "grade_bands", "quality_rules",
                           "months", "complete_by")
               if getattr(before, key) != getattr(after, key)}
    record("jurisdiction.settings", "jurisdiction", jurisdiction.id, actor=actor, jurisdiction_id=jurisdiction.id,
           detail={"changes": changes})
    return changed_kinds


# ------------------------------------------------------------------ packs ----

def export_doc(jurisdiction: Jurisdiction) -> dict:
    """The jurisdiction as one pack document: pack.json with its newest published forms embedded.

    Drafts are not exported: a pack carries what departments may fill.
    """
    settings = jurisdiction.settings or {}
    doc: dict[str, Any] = {"code": jurisdiction.code,
                           "name": {"zh": jurisdiction.name_zh,
                                    **({"en": jurisdiction.name_en} if jurisdiction.name_en else {})},
                           "parent": jurisdiction.parent.code if jurisdiction.parent is not None else None}
    doc.update({key: copy.deepcopy(settings[key]) for key in SETTING_KEYS if settings.get(key) is not None})
    doc.setdefault("money_unit", "万元")
    forms = {}
    for kind in kinds(jurisdiction):
        row = latest_published(jurisdiction, kind)
        if row is not None:
            forms[kind] = copy.deepcopy(row.body)
    doc["forms"] = forms
    return doc


def _depth(value: Any, limit: int) -> int:
    """How deeply ``value`` nests, counting no further than ``limit`` + 1 (iteratively)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def read_pack_bytes(data: bytes, source: str = "") -> tuple[Any, list[Problem]]:
    """Parse an uploaded or given pack file, refusing what is too large, not UTF-8 JSON or absurdly deep."""
    where = source
    if len(data) > MAX_PACK_BYTES:
        return None, [Problem(where, f"文件过大：{len(data) / MiB:.1f} MB，上限 {MAX_PACK_BYTES // MiB} MB", "too_large")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, [Problem(where, f"文件不是 UTF-8 编码的文本（第 {error.start + 1} 个字节）", "not_utf8")]
    if not text.strip():
        return None, [Problem(where, "文件是空的", "empty")]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [problem(where, "json_syntax", "zh", line=error.lineno, column=error.colno, detail=error.msg)]
    except (ValueError, RecursionError) as error:  # an integer of 5000 digits, [[[[…]]]] 100 000 deep
        return None, [Problem(where, f"无法读取 JSON：{str(error)[:200] or '嵌套过深'}", "json_invalid")]
    if _depth(doc, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        return None, [Problem(where, f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层，不是有效的辖区包", "too_deep")]
    nul = nul_path(doc)  # "\u0000" in a string: PostgreSQL cannot store it (core/security.py)
    if nul is not None:
        return None, [Problem(nul or where, "含有空字符（NUL, \\u0000），无法保存，请删除后重试", "nul_character")]
    return doc, []


def parse_json_text(text: str) -> tuple[Any, list[Problem]]:
    """JSON typed in the raw editor: syntax errors with line and column, absurd nesting refused."""
    return read_pack_bytes(text.encode("utf-8"), "")


def check_import(doc: Any, actor=None) -> tuple[Any, list[Problem]]:
    """Validate a pack document for import (everything, before anything is written).

    :param actor: the admin importing, or ``None`` for the command line (trusted).
    :return: (the :class:`~core.definitions.pack.Pack`, problems).
    """
    try:
        pack = pack_from_json(doc)
    except DefinitionInvalid as invalid:
        return None, invalid.problems
    problems = []
    existing = by_code(pack.code)
    if pack.code in RESERVED_CODES and existing is None:
        problems.append(Problem("pack.json: code", f"「{pack.code}」是保留字，不能用作辖区代码", "code_reserved"))
    if pack.parent and by_code(pack.parent) is None:
        problems.append(Problem("pack.json: parent", f"上级辖区「{pack.parent}」在本系统中不存在，请先创建或导入它",
                                "parent_unknown"))
    if existing is not None and pack.parent and pack.parent != (existing.parent.code if existing.parent else None):
        problems.append(Problem("pack.json: parent", f"辖区「{pack.code}」在本系统中的上级是"
                                f"「{existing.parent.code if existing.parent else '（无）'}」，与包中的「{pack.parent}」不同",
                                "parent_mismatch"))
    if actor is not None:
        if existing is not None and not may_administer(actor, existing):
            problems.append(Problem("pack.json: code", f"辖区「{pack.code}」已存在，您不是它的管理员", "forbidden"))
        elif existing is None and pack.parent and not may_administer(actor, by_code(pack.parent)):
            problems.append(Problem("pack.json: parent", f"您不是上级辖区「{pack.parent}」的管理员", "forbidden"))
    return pack, problems


def import_pack(doc: Any, actor=None) -> tuple[Jurisdiction, list[FormDefinition], bool]:
    """Validate, then store a pack: a new jurisdiction, or new versions of an existing one's forms.

    Nothing is written when anything is wrong (:class:`AdminRefused` with every
    problem). The built-in flag of an existing jurisdiction is kept.
    :return: (jurisdiction, the versions published, whether it was created).
    """
    pack, problems = check_import(doc, actor)
    if problems:
        raise AdminRefused(gettext("辖区包有 %(n)s 处问题，未导入任何内容", n=len(problems)), problems)
    existing = by_code(pack.code)
    jurisdiction, published = store_pack(pack, builtin=existing.builtin if existing is not None else False,
                                         actor=actor)
    created = existing is None
    record("pack.import", "jurisdiction", jurisdiction.id, actor=actor, jurisdiction_id=jurisdiction.id,
           detail={"code": pack.code, "created": created,
                   "published": [{"kind": r.kind, "version": r.version} for r in published]})
    if actor is not None and created and not may_administer(actor, jurisdiction):
        grant_role(actor, Role.ADMIN.value, jurisdiction=jurisdiction, actor=actor)
    return jurisdiction, published, created


# ------------------------------------------------------------------ people ----

def password_problems(password: str) -> list[str]:
    """Why a password is refused: at least 10 characters, not only digits."""
    problems = []
    if len(password) < 10:
        problems.append("密码至少 10 个字符")
    if password.isdigit():
        problems.append("密码不能全是数字")
    return problems


def create_organization(jurisdiction: Jurisdiction, name: str, code: str, actor) -> Organization:
    name, code = name.strip(), code.strip()
    if not name:
        raise AdminRefused(gettext("请填写单位名称"), [Problem("name", "请填写单位名称", "required")])
    if len(name) > 200 or len(code) > 64:
        raise AdminRefused(gettext("名称或编码过长"), [Problem("name", "名称至多 200 字，编码至多 64 字", "too_long")])
    if db.session.scalar(select(Organization).where(Organization.jurisdiction_id == jurisdiction.id,
                                                    Organization.name == name)) is not None:
        raise AdminRefused(gettext("本辖区已有同名单位"), [Problem("name", f"本辖区已有单位「{name}」", "duplicate")])
    organization = Organization(jurisdiction=jurisdiction, name=name, code=code)
    db.session.add(organization)
    db.session.flush()
    record("organization.create", "organization", organization.id, actor=actor, jurisdiction_id=jurisdiction.id,
           organization_id=organization.id, detail={"name": name, "code": code})
    return organization


ROLE_LABELS = {"filer": _l("填报人"), "reviewer": _l("财务审核"), "leader": _l("分管领导"), "admin": _l("管理员")}


def create_user(jurisdiction: Jurisdiction, *, username: str, display_name: str, password: str, role: str,
                scope: str, actor) -> User:
    """A new user with one membership in ``jurisdiction`` (or one of its organizations, or a sub-jurisdiction).

    :param scope: ``o<id>`` for an organization of the jurisdiction, ``j<id>`` for
        the jurisdiction or one below it that ``actor`` administers.
    """
    problems = []
    username = username.strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        problems.append(Problem("username", "用户名须为 1–80 个字符，不含空格", "invalid"))
    elif db.session.scalar(select(User).where(User.username == username)) is not None:
        problems.append(Problem("username", f"用户名「{username}」已被使用", "duplicate"))
    problems += [Problem("password", message, "weak_password") for message in password_problems(password)]
    organization = target = None
    if scope.startswith("o") and is_id(scope[1:]):
        organization = db.session.get(Organization, int(scope[1:]))
        if organization is None or organization.jurisdiction_id not in administered_ids(actor) or \
                organization.jurisdiction_id not in {j.id for j in _subtree(jurisdiction)}:
            organization = None
    elif scope.startswith("j") and is_id(scope[1:]):
        target = db.session.get(Jurisdiction, int(scope[1:]))
        if target is None or target.id not in administered_ids(actor) or \
                target.id not in {j.id for j in _subtree(jurisdiction)}:
            target = None
    problems += scope_problems(role, organization, target)
    if problems:
        raise AdminRefused(gettext("有 %(n)s 处问题，未创建用户", n=len(problems)), problems)
    user = User(username=username, display_name=display_name.strip()[:120] or username)
    user.set_password(password)
    user.memberships.append(Membership(role=role, organization=organization, jurisdiction=target))
    db.session.add(user)
    db.session.flush()
    record("user.create", "user", user.id, actor=actor, jurisdiction_id=jurisdiction.id,
           organization_id=organization.id if organization is not None else None,
           detail={"username": username, "role": role,
                   "scope": organization.name if organization is not None else target.code})
    return user


def scope_problems(role: str, organization: Organization | None, jurisdiction: Jurisdiction | None) -> list[Problem]:
    """The one rule of who holds which role where, for a new user and for a grant alike:
    a filer belongs to an organization (业务部门), a reviewer or an admin to a
    jurisdiction, a leader to either."""
    problems = []
    if role not in ROLE_LABELS:
        problems.append(Problem("role", f"未知的角色「{role}」（可选：{'、'.join(ROLE_LABELS)}）", "invalid"))
    if organization is None and jurisdiction is None:
        problems.append(Problem("scope", "请选择本辖区内的单位或辖区作为范围", "scope_invalid"))
    elif role == "filer" and organization is None:
        problems.append(Problem("scope", "填报人须属于一个单位（业务部门）", "scope_invalid"))
    elif role in ("reviewer", "admin") and jurisdiction is None:
        problems.append(Problem("scope", gettext("%(role)s的范围须为辖区", role=ROLE_LABELS[role]), "scope_invalid"))
    return problems


def grant_role(user: User, role: str, *, jurisdiction: Jurisdiction | None = None,
               organization: Organization | None = None, actor=None, via: str = "") -> Membership:
    """Give an existing user one more role, with the rule of :func:`scope_problems` and the
    audit event ``membership.create`` (the command line's ``users grant``, and a pack
    importer becoming the admin of the jurisdiction it created).

    :param via: how it was granted (``cli``), recorded in the event.
    :raises AdminRefused: an unknown role, a scope the role cannot have, or a role the
        user already holds there.
    """
    problems = scope_problems(role, organization, jurisdiction)
    scope = organization.name if organization is not None else jurisdiction.code if jurisdiction is not None else ""
    if not problems and any(m.role == role and m.organization_id == (organization.id if organization else None)
                            and m.jurisdiction_id == (jurisdiction.id if jurisdiction else None)
                            for m in user.memberships):
        problems.append(Problem("scope", f"用户「{user.username}」已是「{scope}」的{ROLE_LABELS[role]}", "duplicate"))
    if problems:
        raise AdminRefused(gettext("有 %(n)s 处问题，未授予角色", n=len(problems)), problems)
    membership = Membership(role=role, organization=organization, jurisdiction=jurisdiction)
    user.memberships.append(membership)
    db.session.flush()
    home = jurisdiction if jurisdiction is not None else organization.jurisdiction
    record("membership.create", "user", user.id, actor=actor, jurisdiction_id=home.id,
           organization_id=organization.id if organization is not None else None,
           detail={"username": user.username, "role": role, "scope": scope, **({"via": via} if via else {})})
    return membership


def _subtree(jurisdiction: Jurisdiction) -> list[Jurisdiction]:
    found, frontier = [jurisdiction], [jurisdiction.id]
    seen = {jurisdiction.id}
    while frontier:
        children = [j for j in db.session.scalars(select(Jurisdiction).where(Jurisdiction.parent_id.in_(frontier))
                                                  .order_by(Jurisdiction.id)) if j.id not in seen]
        seen.update(j.id for j in children)
        found.extend(children)
        frontier = [j.id for j in children]
    return found


def subtree(jurisdiction: Jurisdiction) -> list[Jurisdiction]:
    """The jurisdiction and everything below it."""
    return _subtree(jurisdiction)


def members(jurisdiction: Jurisdiction) -> list[tuple[User, Membership]]:
    """Users holding a role in the jurisdiction, below it, or in one of their organizations."""
    ids = {j.id for j in _subtree(jurisdiction)}
    organizations = list(db.session.scalars(select(Organization.id).where(Organization.jurisdiction_id.in_(list(ids)))))
    rows = db.session.scalars(select(Membership).where(
        Membership.jurisdiction_id.in_(list(ids)) | Membership.organization_id.in_(organizations or [-1]))
        .order_by(Membership.user_id, Membership.id))
    return [(m.user, m) for m in rows]

