"""Scoring a self-evaluation submission with the engine, the plugins' rule types and hooks."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from core.plugins import compiled_scoring, hook, scoring_registry
from core.scoring import bind_hooks, score
from core.scoring.cache import definition_key
from core.scoring.engine import ScoreResult
from core.scoring.messages import INPUT_LABELS as ENGINE_INPUT_LABELS
from core.scoring.tree import Node, ScoringTree

# Generic input names the engine's rule types read, as the filer sees them (and messages name them).
INPUT_LABELS = ENGINE_INPUT_LABELS


@dataclass(frozen=True)
class InputSpec:
    """One input a leaf needs from the filer: what to ask and with which widget."""

    key: str
    kind: str  # number, text, checklist, tier, yes_no
    label: dict
    options: tuple = field(default_factory=tuple)  # (id, label) for checklist and tier


def registry():
    """The engine's rule types plus every plugin's ``register_scoring_rules``."""
    return scoring_registry()


def scoring_of(submission) -> dict:
    """The scoring section this submission is scored with (instantiated when it was created).

    The jurisdiction's grade bands apply unless the definition sets its own.
    """
    scoring = dict((submission.data or {}).get("scoring") or submission.definition.body.get("scoring") or {})
    bands = (submission.project.organization.jurisdiction.settings or {}).get("grade_bands")
    if bands and "grades" not in scoring:
        scoring["grades"] = bands
    return scoring


def tree_key(submission, scoring: dict) -> tuple | None:
    """What determines ``scoring`` (from :func:`scoring_of`) cheaper than its JSON, if anything.

    A submission scored with its published definition's own section — none stored, or the
    stored copy equal to it, as for a definition without ``from_goal`` nodes like Futian's —
    is keyed by the definition; one instantiated from its goal by its content (``None``).
    """
    definition = submission.definition
    own = (submission.data or {}).get("scoring")
    if own and own != definition.body.get("scoring"):
        return None
    return definition_key(definition, scoring.get("grades"))


def load_tree(submission) -> ScoringTree:
    """The compiled scoring tree of the submission, shared by every request of the application."""
    scoring = scoring_of(submission)
    return compiled_scoring(scoring, key=tree_key(submission, scoring), registry=registry())


def field_labels(body: dict) -> dict:
    """The definition's fields and computed values, id → label: scoring messages name them so."""
    labels = {f["id"]: f.get("label") for s in body.get("sections", []) for f in s.get("fields", [])}
    labels.update({c["id"]: c.get("label") for c in body.get("computed", []) if c.get("id")})
    return {key: value for key, value in labels.items() if value}


def score_submission(submission, data: dict | None = None, tree: ScoringTree | None = None) -> ScoreResult:
    """Score ``data`` (default: the stored data) of a self-evaluation submission."""
    data = submission.data if data is None else data
    jurisdiction = submission.project.organization.jurisdiction
    tree = tree or load_tree(submission)
    result = score(tree, data.get("scores") or {}, fields=data.get("fields") or {},
                   hooks=bind_hooks(hook(), jurisdiction=jurisdiction),
                   labels=field_labels(submission.definition.body))
    return with_evidence_problems(result, tree, data)


def with_evidence_problems(result: ScoreResult, tree: ScoringTree, data: dict) -> ScoreResult:
    """``result`` with a problem at each leaf whose input differs from its evidence without a reason."""
    from core.selfeval.evidence import evidence_problems  # the hand-over builds on scoring

    extra = evidence_problems(tree, data) if data.get("evidence") else {}
    if not extra:
        return result
    leaves = tuple(replace(leaf, problems=leaf.problems + (extra[leaf.id],)) if leaf.id in extra else leaf
                   for leaf in result.leaves)
    return replace(result, leaves=leaves, problems=result.problems + tuple(extra.values()))


def _source_names(leaf: Node) -> list[str]:
    names: list[str] = []
    for source in (*leaf.rule.sources.values(), *leaf.rule.conditions.values()):
        names.extend(n for n in source.names if n not in names)
    return names


def input_specs(leaf: Node, field_ids: set[str]) -> list[InputSpec]:
    """What the filer types for ``leaf``; numbers taken from the form's fields are not asked again."""
    rule = leaf.rule
    own_labels = rule.params.get("input_labels") or {}

    def named(key: str) -> dict:
        return own_labels.get(key) or INPUT_LABELS.get(key) or {"zh": key}

    if rule.type == "indicator":
        return [InputSpec("actual", "text", named("actual"))]
    if rule.type == "checklist":
        items = tuple((item["id"], item.get("label") or {"zh": item["id"]}) for item in rule.params["items"])
        return [InputSpec("checked", "checklist", {"zh": "符合的项目", "en": "Items met"}, items)]
    if rule.type == "qualitative":
        tiers = tuple((tier.id, tier.label) for tier in rule.prepared.values())
        return [InputSpec("tier", "tier", {"zh": "达成档次", "en": "Tier"}, tiers)]
    if rule.type == "manual":
        return [InputSpec("score", "number", named("score"))]
    if rule.type in ("per_occurrence", "counted") and "items" not in rule.params:
        return [InputSpec("count", "number", named("count"))]
    if rule.type == "counted":
        return [InputSpec(f"counts.{item['id']}", "number", item.get("label") or {"zh": item["id"]})
                for item in rule.params["items"]]
    kinds = {name: "yes_no" for source in rule.conditions.values() for name in source.names}
    return [InputSpec(name, kinds.get(name, "number"), named(name))
            for name in _source_names(leaf) if name not in field_ids]
