"""Backup and restore round-trip a populated database, row for row, on SQLite and on
PostgreSQL; a restore is refused, with a reason and nothing written, when the target
is not empty or the file is not a complete backup."""
from __future__ import annotations

import gzip
import io
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.app import create_app
from core.audit import record
from core.backup import FORMAT
from core.extensions import db
from core.models import ApiToken, AuditEvent, AuditImmutable, Jurisdiction, Project, Submission
from core.workflow import service
from tests.concurrency.helpers import BOYE_ORG, goal_submission

# ------------------------------------------------------------------ population ---


def populate(people) -> None:
    """A database as the app leaves it: goal forms through the whole workflow, their
    revisions, reviews and audit events, tokens, surveys with responses, and values
    that are easy to get wrong (cents, microseconds, NULLs, unicode JSON, a tree
    whose child row comes before its parent)."""
    org = people.organization("boye", BOYE_ORG)
    filer = people.user("filer_a", "filer", organization=org)
    reviewer = people.user("reviewer", "reviewer", jurisdiction="boye")

    approved_id = goal_submission(people, filer, "劳模体检、劳模慰问", state="submitted")
    submission = db.session.get(Submission, approved_id)
    row_id = submission.data["indicators"][3]["id"]
    service.apply_transition(submission, "return", reviewer, comment="成本指标请细化",
                             field_comments={f"indicators.{row_id}": "请写成「≤200 元/人」"})
    service.apply_transition(submission, "submit", filer)
    service.apply_transition(submission, "approve", reviewer, comment="同意")
    service.apply_transition(submission, "adjust", filer, comment="预算调减")
    goal_submission(people, filer, "困难职工帮扶")  # a draft
    record("login", "user", filer.id, actor=filer)

    # A child jurisdiction whose parent is created after it (ids out of tree order).
    child = Jurisdiction(code="zz_child", name_zh="下级测试辖区", settings={"money_unit": "万元", "空": None})
    db.session.add(child)
    db.session.flush()
    parent = Jurisdiction(code="zz_parent", name_zh="上级测试辖区", name_en="Parent", builtin=False,
                          settings={"nested": {"list": [1, 2.5, "三", None, True]}})
    db.session.add(parent)
    db.session.flush()
    child.parent = parent

    project = Project(organization=org, name="大额项目", year=2024, budget=Decimal("98765432.01"),
                      multi_year=True, end_year=None, serves_public=False)
    db.session.add(project)
    token, _secret = ApiToken.issue(filer, "导出用令牌")
    token.last_used_at = datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=timezone.utc)
    db.session.add(token)
    db.session.commit()
    _populate_survey(project, filer)


def _populate_survey(project, filer) -> None:
    try:
        from survey.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
    except ImportError:  # the survey module is optional for backups: its tables come with it
        return
    from survey.catalog import templates_for
    template = templates_for(project.organization.jurisdiction)[0]
    survey = Survey(project=project, title="满意度调查", template=template.key, slug="abcd2345",
                    definition=dict(template.definition.raw),
                    status="open", mode="invitation", min_seconds=0, created_by_id=filer.id,
                    opened_at=datetime(2024, 5, 1, tzinfo=timezone.utc))
    db.session.add(survey)
    db.session.flush()
    db.session.add(SurveyInvitation(survey_id=survey.id, code_hash="f" * 64, used_at=date(2024, 5, 2)))
    for index, score in enumerate((83.33333333333333, None)):
        response = SurveyResponse(survey_id=survey.id, answers={"q-overall": "4", "q-suggestion": "希望\n早点到账"},
                                  started_at=None if index else datetime(2024, 5, 2, 1, 2, 3, tzinfo=timezone.utc),
                                  submitted_at=datetime(2024, 5, 2, 1, 5, 0, 999999, tzinfo=timezone.utc),
                                  device_hash=None, invalid_reason="too_fast" if index else "",
                                  excluded=bool(index), score=score)
        db.session.add(response)
        db.session.flush()
        db.session.add(SurveyAnswer(survey_id=survey.id, response_id=response.id, question_id="q-overall",
                                    item_id="", choice="4", value=87.5, text=None))
    db.session.commit()


# ------------------------------------------------------------------ helpers ---

def snapshot(engine) -> dict[str, list[dict]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as connection:
        return {table.name: [dict(row) for row in connection.execute(
                    sa.select(table).order_by(*table.primary_key.columns)).mappings()]
                for table in db.metadata.sorted_tables}


def as_utc_naive(rows: dict) -> dict:
    """SQLite keeps no offset (the app stores UTC): compare instants, not representations."""
    def fix(value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value
    return {name: [{k: fix(v) for k, v in row.items()} for row in table] for name, table in rows.items()}


def empty_database() -> None:
    """Delete every row; on PostgreSQL also restart the id sequences, as in a new database."""
    db.session.rollback()
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(db.engine.dialect.identifier_preparer.format_table(t) for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


def row_count() -> int:
    with db.engine.connect() as connection:
        return sum(connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                   for t in db.metadata.sorted_tables)


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def dumped(app, people, tmp_path):
    populate(people)
    db.session.commit()
    before = snapshot(db.engine)
    path = tmp_path / "backup.jsonl.gz"
    result = invoke(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    assert "backed up" in result.output
    return path, before


# ------------------------------------------------------------------ round trips ---

def test_round_trip_into_the_emptied_database_restores_every_row(app, dumped):
    path, before = dumped
    assert before["submission_revision"] and before["review"] and before["audit_event"]
    empty_database()
    assert row_count() == 0

    result = invoke(app, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert snapshot(db.engine) == before

    # Sequences continue after the restored ids (PostgreSQL: setval), so the app can
    # write again; the audit trail is still append-only.
    biggest = max(row["id"] for row in before["project"])
    project = Project(organization_id=before["organization"][0]["id"], name="恢复后新建", year=2025,
                      budget=Decimal("1.00"))
    db.session.add(project)
    record("project.create", "project", None)
    db.session.commit()
    assert project.id == biggest + 1
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id))
    event.comment = "改写历史"
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()


def test_header_lists_every_table_with_its_row_count(app, dumped):
    path, before = dumped
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        header = json.loads(next(lines))
        rows = [json.loads(line) for line in lines]
    assert header["format"] == FORMAT and header["version"] == 1
    assert [t["name"] for t in header["tables"]] == [t.name for t in db.metadata.sorted_tables]
    assert {t["name"]: t["rows"] for t in header["tables"]} == {name: len(r) for name, r in before.items()}
    assert header["schema_revision"] is None  # the tests build the schema with create_all
    datetime.fromisoformat(header["created_at"])
    budget = next(r["r"]["budget"] for r in rows if r["t"] == "project" and r["r"]["name"] == "大额项目")
    assert budget == "98765432.01"  # Decimal as text: no float on the way
    if "survey" in before:
        assert {t["name"] for t in header["tables"]} >= {"survey", "survey_response", "survey_answer"}


def test_round_trip_into_a_new_sqlite_database(app, dumped, tmp_path):
    """Into another database built from the models — from PostgreSQL too, when the
    suite runs there: the dump is portable."""
    path, before = dumped
    target = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'restored.sqlite'}", "TESTING": True,
                         "SECRET_KEY": "x"})
    with target.app_context():
        db.create_all()
        result = invoke(target, "restore", str(path))
        assert result.exit_code == 0, result.output
        after = snapshot(db.engine)
        db.engine.dispose()
    assert as_utc_naive(after) == as_utc_naive(before)


# ------------------------------------------------------------------ refusals ---

def test_restore_into_a_database_with_rows_is_refused(app, dumped):
    path, _ = dumped
    count = row_count()
    result = invoke(app, "restore", str(path))
    assert result.exit_code == 1
    assert "not empty" in result.output and "restore only into a new, empty database" in result.output
    assert row_count() == count


def rewrite(path, out, change):
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        documents = [json.loads(line) for line in lines]
    documents = change(documents)
    with gzip.open(out, "wt", encoding="utf-8") as sink:
        for document in documents:
            sink.write(json.dumps(document, ensure_ascii=False) + "\n")
    return out


def drop_last_audit_row(documents):
    index = max(i for i, d in enumerate(documents) if d.get("t") == "audit_event")
    return documents[:index] + documents[index + 1:]


def unknown_table(documents):
    documents[0]["tables"].append({"name": "no_such_table", "columns": ["id"], "rows": 0})
    return documents


def unknown_column(documents):
    documents[0]["tables"][0]["columns"].append("no_such_column")
    return documents


@pytest.mark.parametrize("change, words", [
    (drop_last_audit_row, "incomplete (rows read: audit_event"),
    (unknown_table, "tables this version does not know: no_such_table"),
    (unknown_column, "columns this version does not know: no_such_column"),
])
def test_a_damaged_or_foreign_backup_is_refused_and_writes_nothing(app, dumped, tmp_path, change, words):
    path, _ = dumped
    damaged = rewrite(path, tmp_path / "damaged.jsonl.gz", change)
    empty_database()
    result = invoke(app, "restore", str(damaged))
    assert result.exit_code == 1
    assert words in result.output, result.output
    assert row_count() == 0  # one transaction: the rows read before the problem are gone too


@pytest.mark.parametrize("content", [b"not a backup", gzip.compress(b'{"format": "other"}\n'), b""])
def test_a_file_that_is_not_a_backup_is_refused(app, dumped, tmp_path, content):
    path = tmp_path / "other.gz"
    path.write_bytes(content)
    empty_database()
    result = invoke(app, "restore", str(path))
    assert result.exit_code == 1 and "not a backup file" in result.output
    assert row_count() == 0


def test_a_backup_cut_short_is_refused(app, dumped, tmp_path):
    path, _ = dumped
    cut = tmp_path / "cut.gz"
    cut.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    empty_database()
    result = invoke(app, "restore", str(cut))
    assert result.exit_code == 1 and ("damaged or cut short" in result.output or "incomplete" in result.output)
    assert row_count() == 0


def test_schema_revisions_are_recorded_and_must_match(tmp_path):
    """On separate SQLite files, each with its own alembic_version."""
    def database(name: str, revision: str):
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / name}", "TESTING": True,
                          "SECRET_KEY": "x"})
        with app.app_context():
            db.create_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
                connection.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": revision})
        return app

    source = database("source.sqlite", "rev_a")
    path = tmp_path / "b.gz"
    with source.app_context():
        db.session.add(Jurisdiction(code="only", name_zh="唯一"))
        db.session.commit()
        assert invoke(source, "backup", str(path)).exit_code == 0
        db.engine.dispose()
    with gzip.open(path, "rt") as lines:
        assert json.loads(next(lines))["schema_revision"] == "rev_a"

    older = database("older.sqlite", "rev_b")
    with older.app_context():
        result = invoke(older, "restore", str(path))
        assert result.exit_code == 1 and "schema revision rev_a, the target database is at rev_b" in result.output
        db.engine.dispose()
    same = database("same.sqlite", "rev_a")
    with same.app_context():
        assert invoke(same, "restore", str(path)).exit_code == 0
        assert db.session.scalar(sa.select(Jurisdiction.name_zh)) == "唯一"
        db.engine.dispose()


def test_backup_is_a_snapshot_of_one_moment(app, people, monkeypatch):
    """A row committed by another connection while the dump is being written is not
    in it: the header's counts and the rows that follow describe the same moment."""
    import core.backup as backup_module
    from tests.concurrency.helpers import run_together

    populate(people)
    events_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    db.session.rollback()
    original_line = backup_module._line
    written = []

    def write_then_interfere(document):
        if not written:  # right after the header: someone logs in
            def login_event(_barrier):
                record("login", "user", None, comment="写入于备份期间")
                db.session.commit()
            outcome, = run_together(app, login_event)
            assert outcome.error is None, outcome.error
        written.append(document)
        return original_line(document)

    monkeypatch.setattr(backup_module, "_line", write_then_interfere)
    out = io.BytesIO()
    header = backup_module.backup(db.engine, db.metadata, out,
                                  now=datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=8))))
    assert header["created_at"] == "2024-01-01T00:00:00+08:00"
    counts = {t["name"]: t["rows"] for t in header["tables"]}
    assert counts["audit_event"] == events_before
    lines = gzip.decompress(out.getvalue()).decode("utf-8").splitlines()
    counted = {}
    for line in lines[1:]:
        name = json.loads(line)["t"]
        counted[name] = counted.get(name, 0) + 1
    assert {name: rows for name, rows in counts.items() if rows} == counted
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events_before + 1
