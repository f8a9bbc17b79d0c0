"""The append-only audit trail: who did what, when, to which object."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import JSONDoc, created_at_column


class AuditImmutable(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id = sa.Column(sa.Integer, primary_key=True)
    at = created_at_column()
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=True)
    action = sa.Column(sa.String(64), nullable=False)
    object_type = sa.Column(sa.String(64), nullable=False)
    object_id = sa.Column(sa.Integer, nullable=True)
    jurisdiction_id = sa.Column(sa.Integer, sa.ForeignKey("jurisdiction.id"), nullable=True, index=True)
    organization_id = sa.Column(sa.Integer, sa.ForeignKey("organization.id"), nullable=True, index=True)
    comment = sa.Column(sa.Text, nullable=False, default="")
    detail = sa.Column(JSONDoc, nullable=False, default=dict)

    actor = relationship("User")

    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_rewriting_history(mapper, connection, target) -> None:
    raise AuditImmutable("audit events are append-only")
