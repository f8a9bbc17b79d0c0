"""A superior body's scoring of a subordinate body's work (Shijiazhuang 附件三)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import JSONDoc, created_at_column, utcnow


class Assessment(db.Model):
    """The work-scoring sheet of one assessed jurisdiction (a county union) for one year.

    Scored twice with the same definition: ``self_inputs`` by the county (with
    ``evidence`` per item), then ``assessed_inputs`` by the assessor (the parent
    jurisdiction's reviewer). Totals are stored when each stage is submitted, for
    ranking; the inputs stay the source of truth.

    States: ``open`` → ``self_submitted`` → ``assessed``; the assessor may return a
    self-assessment (``returned``, editable by the county again).
    """

    __tablename__ = "assessment"
    __table_args__ = (sa.UniqueConstraint("jurisdiction_id", "year", "definition_kind",
                                          name="uq_assessment_jurisdiction_year"),)

    id = sa.Column(sa.Integer, primary_key=True)
    assessor_jurisdiction_id = sa.Column(sa.Integer, sa.ForeignKey("jurisdiction.id"), nullable=False, index=True)
    jurisdiction_id = sa.Column(sa.Integer, sa.ForeignKey("jurisdiction.id"), nullable=False, index=True)
    year = sa.Column(sa.Integer, nullable=False)
    definition_kind = sa.Column(sa.String(32), nullable=False, default="assessment")
    definition_id = sa.Column(sa.Integer, sa.ForeignKey("form_definition.id"), nullable=False)
    state = sa.Column(sa.String(20), nullable=False, default="open", index=True)
    self_inputs = sa.Column(JSONDoc, nullable=False, default=dict)
    evidence = sa.Column(JSONDoc, nullable=False, default=dict)
    assessed_inputs = sa.Column(JSONDoc, nullable=False, default=dict)
    self_total = sa.Column(sa.Numeric(8, 4), nullable=True)
    assessed_total = sa.Column(sa.Numeric(8, 4), nullable=True)
    return_comment = sa.Column(sa.Text, nullable=False, default="")
    self_submitted_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    assessed_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    lock_version = sa.Column(sa.Integer, nullable=False, default=1)
    created_at = created_at_column()
    updated_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    assessor = relationship("Jurisdiction", foreign_keys=[assessor_jurisdiction_id])
    jurisdiction = relationship("Jurisdiction", foreign_keys=[jurisdiction_id])
    definition = relationship("FormDefinition")

    __mapper_args__ = {"version_id_col": lock_version}
