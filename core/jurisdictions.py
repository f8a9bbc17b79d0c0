"""Storing jurisdiction packs in the database, where the app reads them from.

Built-in packs come from plugins (``register_jurisdictions``); admin-made ones are
created in the UI. Both end as the same rows, interpreted by the same engine.
"""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select

from core.audit import record
from core.extensions import db
from core.models import FormDefinition, Jurisdiction
from core.models.base import utcnow

SETTING_KEYS = ("money_unit", "quality_rules", "grade_bands", "workflow", "body", "disclosure")
#: Settings an admin changes in the app (not in the pack): a pack sync keeps them.
ADMIN_SETTING_KEYS = ("disclosure_override", "sync_state")
#: ``settings["sync_state"]`` records what the last ``packs sync`` took from the built-in
#: files (a hash per setting and per form, and the form version it left published), so a
#: later sync can tell a changed *file* from a change an admin made in the browser.
SYNC_STATE = "sync_state"


def _ordered(packs):
    """Parents before children, so a child's parent row exists when it is stored."""
    by_code = {p.code: p for p in packs}
    done, ordered = set(), []

    def visit(pack, trail=()):
        if pack.code in done:
            return
        if pack.code in trail:
            raise ValueError(f"jurisdiction parents form a cycle: {' → '.join(trail + (pack.code,))}")
        parent = by_code.get(pack.parent) if pack.parent else None
        if parent is not None:
            visit(parent, trail + (pack.code,))
        done.add(pack.code)
        ordered.append(pack)

    for pack in packs:
        visit(pack)
    return ordered


def store_pack(pack, builtin: bool, actor=None) -> tuple[Jurisdiction, list[FormDefinition]]:
    """Create or update the jurisdiction of ``pack``; publish each changed form as a new version."""
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == pack.code))
    if jurisdiction is None:
        jurisdiction = Jurisdiction(code=pack.code)
        db.session.add(jurisdiction)
    jurisdiction.name_zh = pack.name.zh
    jurisdiction.name_en = pack.name.en or ""
    jurisdiction.builtin = builtin
    kept = {k: v for k, v in (jurisdiction.settings or {}).items() if k in ADMIN_SETTING_KEYS}
    jurisdiction.settings = {**{k: pack.raw.get(k) for k in SETTING_KEYS if pack.raw.get(k) is not None},
                             **kept}
    if pack.parent:
        jurisdiction.parent = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == pack.parent))
    db.session.flush()

    published = []
    for kind, form in pack.forms.items():
        latest = db.session.scalar(
            select(FormDefinition).where(FormDefinition.jurisdiction_id == jurisdiction.id,
                                         FormDefinition.kind == kind,
                                         FormDefinition.published_at.is_not(None))  # not an admin's draft
            .order_by(FormDefinition.version.desc()))
        if latest is not None and latest.body == form.raw:
            continue
        version = (db.session.scalar(select(func.max(FormDefinition.version)).where(
            FormDefinition.jurisdiction_id == jurisdiction.id, FormDefinition.kind == kind)) or 0) + 1
        row = FormDefinition(jurisdiction=jurisdiction, kind=kind, version=version, body=form.raw,
                             published_at=utcnow())
        db.session.add(row)
        db.session.flush()
        record("definition.publish", "form_definition", row.id, actor=actor,
               detail={"kind": kind, "version": version}, jurisdiction_id=jurisdiction.id)
        published.append(row)
    return jurisdiction, published


def sync_builtin_packs(pm, force: bool = False) -> list[str]:
    """Store every pack the plugins register; return one line per published form.

    An admin's browser edits of a built-in jurisdiction survive (see :func:`sync_pack`);
    a line says so when a changed file was not applied. ``force`` applies the files anyway.
    The packs are those the plugins registered when the app started (each ``flask``
    command starts its own app, so ``packs sync`` reads the files as they are now).
    """
    from core.plugins import jurisdiction_packs  # the plugins import the packs' loaders

    packs = list(jurisdiction_packs(pm).values())  # a code registered twice raises PluginConflict
    lines = []
    for pack in _ordered(packs):
        jurisdiction, published, notes = sync_pack(pack, force=force)
        for row in published:
            lines.append(f"{jurisdiction.code}: {row.kind} v{row.version} published")
        lines.extend(notes)
    return lines


# --- built-in packs and admin edits ----------------------------------------------------------

def _digest(value) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_values(pack) -> dict:
    """What a pack file says about the jurisdiction itself: settings, names, parent."""
    values = {key: pack.raw.get(key) for key in SETTING_KEYS}
    values["name"] = {"zh": pack.name.zh, "en": pack.name.en or ""}
    values["parent"] = pack.parent
    return values


def _stored_values(jurisdiction) -> dict:
    settings = jurisdiction.settings or {}
    values = {key: settings.get(key) for key in SETTING_KEYS}
    values["name"] = {"zh": jurisdiction.name_zh, "en": jurisdiction.name_en or ""}
    values["parent"] = jurisdiction.parent.code if jurisdiction.parent is not None else None
    return values


def _latest_published(jurisdiction_id: int, kind: str):
    return db.session.scalar(
        select(FormDefinition).where(FormDefinition.jurisdiction_id == jurisdiction_id, FormDefinition.kind == kind,
                                     FormDefinition.published_at.is_not(None))
        .order_by(FormDefinition.version.desc()))


def sync_pack(pack, force: bool = False):
    """Store a built-in pack without reverting what an admin changed in the browser.

    A setting (money unit, grade bands, quality rules, names…) or a form is taken from
    the file only when the *file* changed since the last sync (``settings["sync_state"]``
    keeps a hash of each). If an admin also changed that setting, or published a newer
    version of that form, after the last sync, the admin's version is kept and a note
    says so — unless ``force``. An unchanged file never touches anything.

    :return: (jurisdiction, the newly published rows, notes for the operator).
    """
    import dataclasses
    from types import MappingProxyType

    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == pack.code))
    state = dict((jurisdiction.settings or {}).get(SYNC_STATE) or {}) if jurisdiction is not None else {}
    file_values = _file_values(pack)
    recorded = dict(state.get("values") or {})
    recorded_forms = dict(state.get("forms") or {})
    keep, notes, conflicts = {}, [], set()
    if jurisdiction is not None and state:
        stored = _stored_values(jurisdiction)
        for key, value in file_values.items():
            if key not in recorded:
                continue
            if _digest(value) == recorded[key]:
                keep[key] = stored[key]  # the file did not change: whatever is stored stays
            elif _digest(stored[key]) != recorded[key] and not force:
                keep[key] = stored[key]
                conflicts.add(key)
                notes.append(f"{pack.code}: 文件中的设置「{key}」已更改，但管理员在上次同步后也修改过它："
                             f"保留管理员的设置（packs sync --force 以文件为准）")
    skipped = set()
    for kind, form in pack.forms.items():
        record_ = recorded_forms.get(kind)
        if jurisdiction is None or not record_:
            continue
        if _digest(form.raw) == record_.get("hash"):
            skipped.add(kind)
            continue
        latest = _latest_published(jurisdiction.id, kind)
        if latest is not None and latest.version != record_.get("version") and not force:
            skipped.add(kind)
            conflicts.add(f"form:{kind}")
            notes.append(f"{pack.code}: {kind} 文件已更改，但管理员在上次同步后发布了 v{latest.version}："
                         f"保留管理员的版本（packs sync --force 以文件为准）")
    applied = dataclasses.replace(pack, forms=MappingProxyType(
        {kind: form for kind, form in pack.forms.items() if kind not in skipped}))
    jurisdiction, published = store_pack(applied, builtin=True)
    if keep:
        settings = dict(jurisdiction.settings or {})
        for key, value in keep.items():
            if key == "name":
                jurisdiction.name_zh, jurisdiction.name_en = value["zh"], value.get("en") or ""
            elif key == "parent":
                jurisdiction.parent = (db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == value))
                                       if value else None)
            elif value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
        jurisdiction.settings = settings
    new_values = {key: (recorded[key] if key in conflicts else _digest(value)) for key, value in file_values.items()}
    new_forms = dict(recorded_forms)
    for kind, form in pack.forms.items():
        if f"form:{kind}" in conflicts or (kind in skipped and kind in recorded_forms):
            continue
        latest = _latest_published(jurisdiction.id, kind)
        new_forms[kind] = {"hash": _digest(form.raw), "version": latest.version if latest is not None else None}
    jurisdiction.settings = {**(jurisdiction.settings or {}),
                             SYNC_STATE: {"values": new_values, "forms": new_forms}}
    db.session.flush()
    return jurisdiction, published, notes
