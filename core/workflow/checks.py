"""Checking a filled-in form: the definition's rules, plugin rules, goal quality."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from core.definitions.data import validate_data
from core.definitions.errors import Problem
from core.definitions.loader import FormDefinition as LoadedDefinition
from core.definitions.loader import load_definition
from core.i18n import current_lang
from core.extensions import db
from core.models import AuditEvent, FormDefinition, Submission
from core.plugins import hook, quality_registry
from core.quality.rules import review


@dataclass
class CheckResult:
    data: dict
    problems: list[Problem] = field(default_factory=list)
    findings: list = field(default_factory=list)
    #: the form's score (a ScoreResult) when its definition scores it, else None
    score: object = None

    @property
    def blocking_findings(self) -> list:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def score_problems(self) -> list:
        return list(self.score.problems) if self.score is not None else []

    @property
    def ok_to_submit(self) -> bool:
        return not self.problems and not self.blocking_findings and not self.score_problems


def loaded_definition(row: FormDefinition) -> LoadedDefinition:
    """The typed definition of a stored row.

    Published rows never change, so they are parsed once per application (the
    cache lives in ``app.extensions`` so tests with fresh databases do not share it).
    """
    if not row.is_published:
        return load_definition(row.body)
    cache = current_app.extensions.setdefault("perfforms.definitions", {})
    key = (row.id, row.version)
    if key not in cache:
        cache[key] = load_definition(row.body)
    return cache[key]


def check(submission: Submission, data: dict) -> CheckResult:
    """Validate ``data`` for ``submission`` and run the goal-quality review."""
    definition = loaded_definition(submission.definition)
    project = submission.project
    jurisdiction = project.organization.jurisdiction
    normalised, problems = validate_data(definition, data, lang=current_lang())
    for extra in hook().validate_submission(
        definition=definition, data=normalised, project=project, jurisdiction=jurisdiction
    ):
        problems.extend(extra or [])
    findings = []
    if definition.raw.get("indicator_tree"):
        settings = (jurisdiction.settings or {}).get("quality_rules", {})
        findings = review(definition.raw, normalised, {"serves_public": project.serves_public},
                          settings, rules=tuple(quality_registry().values()))
    return CheckResult(normalised, problems, findings, score_of(submission, data))


def score_of(submission: Submission, data: dict):
    """The score of ``data`` when the submission's form is scored (a self-evaluation), else None.

    Part of the one check every entry point runs, so a form the page refuses to submit
    for its scoring is refused by the API and the CLI too (issue 14).
    """
    if submission.kind != "self_evaluation":
        return None
    from core.selfeval.scoring import score_submission  # the self-evaluation builds on the workflow

    return score_submission(submission, data=data)


def findings_to_json(findings) -> list[dict]:
    return [{"rule": f.rule, "path": f.path, "row_id": f.row_id, "message": f.message,
             "severity": f.severity} for f in findings]


def visible_problems(submission, problems) -> list:
    """Problems to show on the edit page.

    A draft nobody has saved yet is all "required" errors; shouting them at a
    filer who has not typed anything helps no one, so they wait for the first save.
    """
    saved = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "submission", AuditEvent.object_id == submission.id,
        AuditEvent.action == "submission.save"))
    return list(problems) if saved else [p for p in problems if p.code != "required"]
