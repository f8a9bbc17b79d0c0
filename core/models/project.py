"""Budgeted projects (预算项目)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import created_at_column


class Project(db.Model):
    __tablename__ = "project"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "year", "name", name="uq_project_org_year_name"),
        sa.CheckConstraint("budget >= 0", name="budget_not_negative"),
        # The staff lists filter by year and sort by year and name.
        sa.Index("ix_project_year_name", "year", "name"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    organization_id = sa.Column(sa.Integer, sa.ForeignKey("organization.id"), nullable=False, index=True)
    code = sa.Column(sa.String(64), nullable=False, default="")
    name = sa.Column(sa.String(300), nullable=False)
    year = sa.Column(sa.Integer, nullable=False)
    budget = sa.Column(sa.Numeric(18, 2), nullable=False, default=0)
    multi_year = sa.Column(sa.Boolean, nullable=False, default=False)
    end_year = sa.Column(sa.Integer, nullable=True)
    # Projects that serve the public must carry a satisfaction indicator (Futian 七.四).
    serves_public = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = created_at_column()

    organization = relationship("Organization", back_populates="projects")
    submissions = relationship("Submission", back_populates="project", order_by="Submission.id")

    @property
    def jurisdiction(self):
        return self.organization.jurisdiction

    def submission(self, kind: str):
        return next((s for s in self.submissions if s.kind == kind), None)

    def __repr__(self) -> str:
        return f"<Project {self.year} {self.name}>"
