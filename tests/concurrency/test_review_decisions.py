"""Two reviewers deciding one submitted goal form at the same moment, many times over:
exactly one Review row, one decision in the audit trail and at most one approved
revision; the other reviewer gets a clear refusal — on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from core.extensions import db
from core.models import AuditEvent, Review, Submission, SubmissionRevision, User
from core.workflow import service
from core.workflow.transitions import TransitionRefused
from tests.concurrency.helpers import BOYE_ORG, goal_submission, run_together
from tests.conftest import csrf_token, login

REPETITIONS = 12
DECISION_PAIRS = [("approve", "return"), ("approve", "approve"), ("return", "return")]


@pytest.fixture
def staff(people):
    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    reviewers = [people.user("reviewer_1", "reviewer", jurisdiction="boye"),
                 people.user("reviewer_2", "reviewer", jurisdiction="boye")]
    return filer, reviewers


def reviewer(submission_id: int, user_id: int, decision: str, align: str):
    def work(barrier):
        if align == "before_load":
            barrier.wait()  # start together; the loser may load after the winner committed
        submission = db.session.get(Submission, submission_id)
        actor = db.session.get(User, user_id)
        submission.project.organization  # noqa: B018 - load what the checks read, before the race
        if align == "after_load":
            barrier.wait()  # both hold the submitted form at the same lock_version
        service.apply_transition(submission, decision, actor, comment=f"{decision} 的意见")
        db.session.commit()
        return decision
    return work


def counts(submission_id: int) -> dict:
    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))
    return {
        "reviews": count(Review, Review.submission_id == submission_id),
        "decisions": count(AuditEvent, AuditEvent.object_type == "submission", AuditEvent.object_id == submission_id,
                           AuditEvent.action.in_(("submission.approve", "submission.return"))),
        "approved_revisions": count(SubmissionRevision, SubmissionRevision.submission_id == submission_id,
                                    SubmissionRevision.event == "approved"),
        "revisions": count(SubmissionRevision, SubmissionRevision.submission_id == submission_id),
    }


@pytest.mark.parametrize("align", ["after_load", "before_load"])
@pytest.mark.parametrize("decisions", DECISION_PAIRS, ids=["-vs-".join(p) for p in DECISION_PAIRS])
def test_exactly_one_decision_is_recorded(app, people, staff, decisions, align):
    filer, (first, second) = staff
    for repetition in range(REPETITIONS):
        submission_id = goal_submission(people, filer, f"并发审核 {align} {repetition}", state="submitted")
        submitted_revisions = counts(submission_id)["revisions"]
        db.session.rollback()

        outcomes = run_together(app, reviewer(submission_id, first.id, decisions[0], align),
                                reviewer(submission_id, second.id, decisions[1], align))

        won = [o.value for o in outcomes if o.error is None]
        refused = [o.error for o in outcomes if o.error is not None]
        assert len(won) == 1 and len(refused) == 1, (repetition, outcomes)
        error = refused[0]
        if isinstance(error, TransitionRefused):
            # Loaded after the winner committed: refused by the state check, in words.
            assert align == "before_load" and "当前状态" in error.message, error.message
        else:
            assert isinstance(error, StaleDataError), repr(error)

        db.session.expire_all()
        stored = db.session.get(Submission, submission_id)
        decision = won[0]
        assert stored.state == {"approve": "approved", "return": "returned"}[decision]
        assert counts(submission_id) == {
            "reviews": 1, "decisions": 1, "approved_revisions": 1 if decision == "approve" else 0,
            "revisions": submitted_revisions + (1 if decision == "approve" else 0)}, repetition
        assert stored.reviews[0].decision == decision
        db.session.rollback()


def test_over_http_the_second_reviewer_is_told_someone_else_decided(app, people, staff, monkeypatch):
    filer, _ = staff
    original = service.apply_transition
    barriers = {}

    def apply_in_step(*args, **kwargs):
        barriers[threading.get_ident()].wait()  # both requests loaded the submitted form
        return original(*args, **kwargs)

    for repetition in range(4):
        submission_id = goal_submission(people, filer, f"并发审核 HTTP {repetition}", state="submitted")
        version = db.session.get(Submission, submission_id).lock_version
        db.session.rollback()
        url = f"/review/{submission_id}"
        clients, tokens = [app.test_client(), app.test_client()], []
        for client, user in zip(clients, ("reviewer_1", "reviewer_2")):
            with app.app_context():  # requests would otherwise share the fixture's context (and g.user)
                login(client, user)
                tokens.append(csrf_token(client, url))

        def decide(index, decision):
            def work(barrier):
                barriers[threading.get_ident()] = barrier
                return clients[index].post(url, data={
                    "csrf_token": tokens[index], "decision": decision, "comment": "并发审核意见",
                    "lock_version": version})
            return work

        monkeypatch.setattr(service, "apply_transition", apply_in_step)
        outcomes = run_together(app, decide(0, "approve"), decide(1, "return"))
        monkeypatch.setattr(service, "apply_transition", original)

        assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
        responses = [o.value for o in outcomes]
        assert all(r.status_code == 302 for r in responses)
        winner = next(i for i, r in enumerate(responses) if r.headers["Location"].endswith("/review/"))
        loser = 1 - winner
        assert responses[loser].headers["Location"].endswith(url)
        with app.app_context():
            page = clients[loser].get(url).get_data(as_text=True)
        assert "此表刚被其他审核人处理，请查看最新状态" in page

        db.session.expire_all()
        assert counts(submission_id)["reviews"] == 1 and counts(submission_id)["decisions"] == 1
        stored = db.session.get(Submission, submission_id)
        assert stored.state == ("approved" if winner == 0 else "returned")
        db.session.rollback()
