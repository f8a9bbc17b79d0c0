"""Storing jurisdiction packs in the database, where the app reads them from.

Built-in packs come from plugins (``register_jurisdictions``); admin-made ones are
created in the UI. Both end as the same rows, interpreted by the same engine.
"""
from __future__ import annotations

from sqlalchemy import func, select

from core.audit import record
from core.extensions import db
from core.models import FormDefinition, Jurisdiction
from core.models.base import utcnow

SETTING_KEYS = ("money_unit", "quality_rules", "grade_bands", "workflow", "body")


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
    jurisdiction.settings = {k: pack.raw.get(k) for k in SETTING_KEYS if pack.raw.get(k) is not None}
    if pack.parent:
        jurisdiction.parent = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == pack.parent))
    db.session.flush()

    published = []
    for kind, form in pack.forms.items():
        latest = db.session.scalar(
            select(FormDefinition).where(FormDefinition.jurisdiction_id == jurisdiction.id,
                                         FormDefinition.kind == kind)
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


def sync_builtin_packs(pm) -> list[str]:
    """Store every pack the plugins register; return one line per published form."""
    packs = [pack for packs in pm.hook.register_jurisdictions() for pack in (packs or [])]
    lines = []
    for pack in _ordered(packs):
        jurisdiction, published = store_pack(pack, builtin=True)
        for row in published:
            lines.append(f"{jurisdiction.code}: {row.kind} v{row.version} published")
    return lines
