"""Jurisdictions (a tree: city → county) and the organizations inside them."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import JSONDoc, created_at_column


class Jurisdiction(db.Model):
    """A body whose rules and forms form one *pack*.

    ``settings`` holds the pack's settings without its forms (money unit, grade
    bands, quality-rule severities, workflow switches); the forms are
    ``FormDefinition`` rows, so built-in and admin-made jurisdictions are the same
    kind of data.
    """

    __tablename__ = "jurisdiction"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(64), nullable=False, unique=True)
    name_zh = sa.Column(sa.String(200), nullable=False)
    name_en = sa.Column(sa.String(200), nullable=False, default="")
    parent_id = sa.Column(sa.Integer, sa.ForeignKey("jurisdiction.id"), nullable=True)
    builtin = sa.Column(sa.Boolean, nullable=False, default=False)
    settings = sa.Column(JSONDoc, nullable=False, default=dict)
    created_at = created_at_column()

    parent = relationship("Jurisdiction", remote_side=[id], backref="children")
    organizations = relationship("Organization", back_populates="jurisdiction", order_by="Organization.name")

    def name(self, lang: str = "zh") -> str:
        return (self.name_en if lang == "en" and self.name_en else self.name_zh)

    def ancestors_and_self(self) -> list["Jurisdiction"]:
        chain, node, seen = [], self, set()
        while node is not None and node.id not in seen:  # guard against a cycle in bad data
            seen.add(node.id)
            chain.append(node)
            node = node.parent
        return chain

    def __repr__(self) -> str:
        return f"<Jurisdiction {self.code}>"


class Organization(db.Model):
    """A department or unit (业务部门, 直属单位, 县总工会) that owns projects."""

    __tablename__ = "organization"
    __table_args__ = (sa.UniqueConstraint("jurisdiction_id", "name", name="uq_organization_jurisdiction_name"),)

    id = sa.Column(sa.Integer, primary_key=True)
    jurisdiction_id = sa.Column(sa.Integer, sa.ForeignKey("jurisdiction.id"), nullable=False, index=True)
    code = sa.Column(sa.String(64), nullable=False, default="")
    name = sa.Column(sa.String(200), nullable=False)
    created_at = created_at_column()

    jurisdiction = relationship("Jurisdiction", back_populates="organizations")
    projects = relationship("Project", back_populates="organization", order_by="Project.id")

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"
