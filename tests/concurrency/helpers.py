"""Running work in real threads, each with its own app context and so its own
database session and connection, against the test database (SQLite or PostgreSQL).

The test client keeps one session per request in one thread; a race needs two
sessions open at the same time, which only separate threads give.
"""
from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from core.extensions import db
from core.models import Project
from core.workflow import service

ROOT = Path(__file__).resolve().parents[2]
BOYE_ORG = "711001 博野县总工会本级"
#: Threads give up on a barrier after this many seconds: a deadlock fails the test
#: instead of hanging it. (A bound, not a timing assertion.)
BARRIER_TIMEOUT = 30


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


def run_together(app, *works: Callable[[threading.Barrier], Any]) -> list[Outcome]:
    """Run each ``work(barrier)`` in its own thread inside its own app context.

    Every work gets the same barrier (one party per work) to line the threads up at
    the moment that matters, e.g. after loading and before writing. Returns one
    Outcome per work, in order: the value returned or the exception raised.
    """
    barrier = threading.Barrier(len(works), timeout=BARRIER_TIMEOUT)
    outcomes = [Outcome() for _ in works]

    def run(index: int, work) -> None:
        with app.app_context():
            try:
                outcomes[index].value = work(barrier)
            except BaseException as error:  # noqa: BLE001 - reported to the test
                outcomes[index].error = error
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, w), daemon=True) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_TIMEOUT * 3)
        assert not thread.is_alive(), "a thread did not finish: deadlock?"
    return outcomes


def boye_spec() -> tuple[dict, dict]:
    """Boye's project 3 (劳模体检…) as transcribed from the seed: it passes the goal form's checks."""
    doc = json.loads((ROOT / "demo" / "boye_2023.json").read_text(encoding="utf-8"))
    return doc, copy.deepcopy(doc["projects"][2])


def goal_submission(people, filer, name: str, state: str = "draft", reviewer=None):
    """A new Boye project with its goal form filled from the seed, as ``draft`` or ``submitted``.

    Returns the submission id (committed).
    """
    doc, spec = boye_spec()
    org = people.organization("boye", BOYE_ORG)
    project = Project(organization=org, code=spec["code"], name=name, year=doc["year"],
                      budget=Decimal(spec["budget"]))
    db.session.add(project)
    db.session.flush()
    submission = service.start_submission(project, "goal", filer)
    data = service.initial_data(project, submission.definition)
    data["fields"].update(spec["fields"])
    data["milestones"] = dict(spec.get("milestones", {}))
    data["indicators"] = copy.deepcopy(spec["rows"])
    service.save_draft(submission, data, filer, None)
    if state == "submitted":
        service.apply_transition(submission, "submit", filer)
    db.session.commit()
    return submission.id
