"""Users and their memberships (role + scope)."""
from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.extensions import db
from core.models.base import created_at_column


class Role(str, enum.Enum):
    """What a member may do. Scope (organization or jurisdiction) is on Membership."""

    ADMIN = "admin"        # configures the jurisdiction's packs and users
    FILER = "filer"        # 业务部门: fills and submits forms of its organization
    REVIEWER = "reviewer"  # 财务部门: reviews, approves or returns forms of the jurisdiction
    LEADER = "leader"      # 分管领导: views, never edits


class User(UserMixin, db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(80), nullable=False, unique=True)
    display_name = sa.Column(sa.String(120), nullable=False, default="")
    password_hash = sa.Column(sa.String(255), nullable=False)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = created_at_column()

    memberships = relationship("Membership", back_populates="user", cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Membership(db.Model):
    """A role held within a scope.

    Exactly one of ``organization_id`` / ``jurisdiction_id`` is set: a filer
    belongs to an organization; a reviewer, leader or admin to a jurisdiction
    (and so to its sub-jurisdictions). A leader may also be scoped to one
    organization.
    """

    __tablename__ = "membership"
    __table_args__ = (
        sa.CheckConstraint(
            "(organization_id IS NULL) <> (jurisdiction_id IS NULL)", name="one_scope"
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=False, index=True)
    role = sa.Column(sa.String(20), nullable=False)
    organization_id = sa.Column(sa.Integer, sa.ForeignKey("organization.id"), nullable=True)
    jurisdiction_id = sa.Column(sa.Integer, sa.ForeignKey("jurisdiction.id"), nullable=True)

    user = relationship("User", back_populates="memberships")
    organization = relationship("Organization")
    jurisdiction = relationship("Jurisdiction")
