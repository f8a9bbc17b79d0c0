"""Versioned form definitions. A published version never changes."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import JSONDoc, created_at_column


class DefinitionImmutable(RuntimeError):
    """Raised when code tries to change a published definition."""


class FormDefinition(db.Model):
    __tablename__ = "form_definition"
    __table_args__ = (
        sa.UniqueConstraint("jurisdiction_id", "kind", "version", name="uq_form_definition_version"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    jurisdiction_id = sa.Column(sa.Integer, sa.ForeignKey("jurisdiction.id"), nullable=False, index=True)
    kind = sa.Column(sa.String(32), nullable=False)
    version = sa.Column(sa.Integer, nullable=False)
    body = sa.Column(JSONDoc, nullable=False)
    published_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    created_at = created_at_column()

    jurisdiction = relationship("Jurisdiction")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def __repr__(self) -> str:
        return f"<FormDefinition {self.jurisdiction_id}:{self.kind} v{self.version}>"


@event.listens_for(FormDefinition, "before_update")
def _refuse_changing_published(mapper, connection, target: FormDefinition) -> None:
    # Submissions render and score with the version they were filled against, so a
    # published body must never move under them.
    state = sa.inspect(target)
    published_before = state.attrs.published_at.history.deleted or [target.published_at]
    if published_before[0] is not None and state.attrs.body.history.has_changes():
        raise DefinitionImmutable(f"definition {target.id} v{target.version} is published")
