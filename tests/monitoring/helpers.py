"""Approved projects for monitoring tests, built with the workflow service (as the app does)
from the seeds' real goal forms (demo/boye_2023.json, demo/futian_2022.json)."""
from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

from core.extensions import db
from core.models import Project
from core.workflow import service

ROOT = Path(__file__).resolve().parents[2]
BOYE_ORG = "711001 博野县总工会本级"
FUTIAN_ORG = "福田区总工会"


def seed_project(filename: str, index: int) -> tuple[dict, dict]:
    doc = json.loads((ROOT / "demo" / filename).read_text(encoding="utf-8"))
    return doc, copy.deepcopy(doc["projects"][index])


def approve_goal(project: Project, filer, reviewer, fields: dict, milestones: dict, rows: list) -> None:
    submission = service.start_submission(project, "goal", filer)
    data = service.initial_data(project, submission.definition)
    data["fields"].update(fields)
    data["milestones"] = dict(milestones)
    data["indicators"] = copy.deepcopy(rows)
    service.save_draft(submission, data, filer, None)
    service.apply_transition(submission, "submit", filer)
    service.apply_transition(submission, "approve", reviewer, comment="同意")


def boye_project(people, filer, reviewer, index: int = 2, year: int | None = None, name: str | None = None,
                 organization=None, **project_kwargs) -> Project:
    """Boye's project 3 by default (劳模体检…, 8.83 万元, plan 25/50/75/100 by 3/6/10/12月底)."""
    doc, spec = seed_project("boye_2023.json", index)
    org = organization or people.organization("boye", BOYE_ORG)
    project = Project(organization=org, code=spec["code"], name=name or spec["name"], year=year or doc["year"],
                      budget=Decimal(spec["budget"]), **project_kwargs)
    db.session.add(project)
    db.session.flush()
    milestones = spec.get("milestones", {})
    approve_goal(project, filer, reviewer, spec["fields"], milestones, spec["rows"])
    db.session.commit()
    return project


def futian_project(people, filer, reviewer) -> Project:
    """Futian's 区退休职工管理 2022 (258.90 万元, no spending plan: time elapsed applies)."""
    doc, spec = seed_project("futian_2022.json", 0)
    org = people.organization("futian", FUTIAN_ORG)
    project = Project(organization=org, code=spec["code"], name=spec["name"], year=doc["year"],
                      budget=Decimal(spec["budget"]))
    db.session.add(project)
    db.session.flush()
    approve_goal(project, filer, reviewer, spec["fields"], spec.get("milestones", {}), spec["rows"])
    db.session.commit()
    return project


def rows_by_name(project: Project) -> dict[str, str]:
    """Goal row ids by indicator name (the report's indicators are keyed by row id)."""
    goal = project.submission("goal")
    return {row["name"]: row["id"] for row in goal.approved_revision.data["indicators"]}
