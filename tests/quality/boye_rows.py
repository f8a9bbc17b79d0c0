"""The indicator rows of Boye county union's four 2023 project goal forms, as printed.

One source of truth: the rows are read from the demo transcription of the seed
(``demo/boye_2023.json``, from ../shared/seeds/boye-county-union-goal-tables-2023.txt,
第二部分 预算项目绩效目标), so the quality tests check exactly what the demo loads.
Row ids are renamed ``p<project>r<row>`` so findings read clearly in assertions;
rows are in the printed order (project 2 prints 经济效益 after 可持续影响).

``BOYE_TREE`` is the Boye goal form's own indicator tree.
"""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_DEMO = json.loads((ROOT / "demo" / "boye_2023.json").read_text(encoding="utf-8"))

#: The indicator tree of form_definitions/boye/goal.json (roles as in docs/definitions.md).
BOYE_TREE = json.loads((ROOT / "form_definitions" / "boye" / "goal.json").read_text(encoding="utf-8"))[
    "indicator_tree"]


def _rows(number: int, project: dict) -> list[dict]:
    return [dict(row, id=f"p{number}r{index}") for index, row in enumerate(project["rows"], 1)]


#: Project code → its rows, in the seed's order (1: 102号, 2: 99号, 3: 劳模体检…, 4: 劳务派遣…).
PROJECTS = {project["code"]: _rows(number, project) for number, project in enumerate(_DEMO["projects"], 1)}
PROJECT_1, PROJECT_2, PROJECT_3, PROJECT_4 = PROJECTS.values()
