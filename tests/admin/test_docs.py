"""docs/packs.md's example pack is imported and scored as the page says."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from core.admin.service import import_pack
from core.extensions import db
from core.models import FormDefinition, Jurisdiction
from core.scoring import instantiate_from_goal, load_scoring, score
from core.selfeval.scoring import registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "packs.md"


def example() -> dict:
    block = re.search(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    return json.loads(block)


def test_the_documented_pack_imports_and_scores_85_40(app):
    with app.app_context():
        jurisdiction, published, created = import_pack(example())
        db.session.commit()
        assert created and [(r.kind, r.version) for r in published] == [("goal", 1), ("self_evaluation", 1)]
        xinhe = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "xinhe"))
        goal, se = (db.session.scalar(select(FormDefinition).where(FormDefinition.jurisdiction_id == xinhe.id,
                                                                   FormDefinition.kind == kind))
                    for kind in ("goal", "self_evaluation"))
        rows = [{"id": "r1", "level1": "output", "level2": "quantity", "name": "培训人数", "target": "≥100 人"},
                {"id": "r2", "level1": "output", "level2": "quality", "name": "培训合格率", "target": "≥95%"}]
        scoring = instantiate_from_goal(se.body["scoring"], goal.body, {"indicators": rows})
        scoring["grades"] = xinhe.settings["grade_bands"]
        result = score(load_scoring(scoring, registry()), {
            "output_r1": {"actual": "95 人"}, "output_r2": {"actual": "96%"},
            "materials": {"count": "1"}, "system": {"checked": ["internal_control", "finance"]}},
            fields={"budget_full_year": "10", "executed": "9.5", "progress": "93"})
        assert result.ok, result.problems
        assert (result.base, result.deductions, result.total) == (Decimal("86"), Decimal("0.6"), Decimal("85.4"))
        assert result.grade["zh"] == "优"
