"""What must never change once written: audit events and published definitions."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.models import AuditEvent, AuditImmutable, DefinitionImmutable, FormDefinition


def test_audit_events_cannot_be_changed_or_deleted(ctx):
    event = record("test.event", "thing", 1, comment="原始记录")
    db.session.commit()
    event.comment = "篡改"
    with pytest.raises(AuditImmutable):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditImmutable):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).comment == "原始记录"


def test_a_published_definition_cannot_be_edited(ctx):
    definition = db.session.scalar(select(FormDefinition).where(FormDefinition.published_at.is_not(None)))
    body = dict(definition.body)
    definition.body = {**body, "title": {"zh": "改过的标题"}}
    with pytest.raises(DefinitionImmutable):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(FormDefinition, definition.id).body["title"] == body["title"]


def test_a_draft_definition_can_be_edited(ctx):
    published = db.session.scalar(select(FormDefinition).where(FormDefinition.published_at.is_not(None)))
    draft = FormDefinition(jurisdiction_id=published.jurisdiction_id, kind=published.kind,
                           version=published.version + 1, body=published.body)
    db.session.add(draft)
    db.session.commit()
    draft.body = {**published.body, "title": {"zh": "草稿标题"}}
    db.session.commit()
    assert db.session.get(FormDefinition, draft.id).body["title"]["zh"] == "草稿标题"
