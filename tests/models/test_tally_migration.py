"""Upgrading counts the answers already stored, so running surveys keep their results."""
from __future__ import annotations

import json

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from core.app import create_app
from core.extensions import db

DEFINITION = {"sections": [{"id": "s", "fields": [{"id": "overall", "type": "rating"},
                                                  {"id": "channel", "type": "multi_choice"}]}]}
# response id, excluded, answers (question, item, choice, value)
RESPONSES = [(1, False, [("overall", "", "5", 100), ("channel", "", "unit", None), ("channel", "", "sms", None)]),
             (2, False, [("overall", "", "4", 80), ("channel", "", "unit", None)]),
             (3, True, [("overall", "", "5", 100), ("channel", "", "sms", None)])]


def test_upgrade_counts_existing_answers(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}", "TESTING": True,
                      "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="7d93b70dba7d")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # no project chain needed for counting
            connection.execute(text(
                "INSERT INTO survey (id, project_id, title, template, definition, status, slug, mode, min_seconds,"
                " straight_line_min_rows, created_at) VALUES (7, 1, 't', 'x', :d, 'open', 'abc', 'open', 0, 5,"
                " '2026-01-01 00:00:00')"), {"d": json.dumps(DEFINITION)})
            for response_id, excluded, answers in RESPONSES:
                connection.execute(text(
                    "INSERT INTO survey_response (id, survey_id, answers, submitted_at, invalid_reason, excluded)"
                    " VALUES (:id, 7, '{}', '2026-01-02 00:00:00', '', :excluded)"),
                    {"id": response_id, "excluded": excluded})
                for question, item, choice, value in answers:
                    connection.execute(text(
                        "INSERT INTO survey_answer (survey_id, response_id, question_id, item_id, choice, value)"
                        " VALUES (7, :r, :q, :i, :c, :v)"), {"r": response_id, "q": question, "i": item, "c": choice,
                                                            "v": value})
        db.engine.dispose()  # new connections: foreign keys on again, as in a real deployment
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT question_id, item_id, choice, valid, total, value FROM survey_tally WHERE survey_id = 7")).all()
        assert {(q, i, c): (v, t, value) for q, i, c, v, t, value in rows} == {
            ("overall", "", "5"): (1, 2, 100), ("overall", "", "4"): (1, 1, 80),
            ("channel", "", "unit"): (2, 2, None), ("channel", "", "sms"): (1, 2, None),
            ("channel", "", ""): (2, 3, None),  # respondents of the multiple-choice question
        }
        with db.engine.connect() as connection:  # the form key came without rebuilding survey_response
            assert connection.execute(text("SELECT count(*) FROM survey_response")).scalar() == 3
            assert "uq_survey_response_form_key" in {
                ix["name"] for ix in db.inspect(connection).get_indexes("survey_response")}
        downgrade(revision="7d93b70dba7d")
        with db.engine.connect() as connection:
            assert "survey_tally" not in db.inspect(connection).get_table_names()
            assert [ix["name"] for ix in db.inspect(connection).get_indexes("survey_answer")] == [
                "ix_survey_answer_aggregate"]
        db.engine.dispose()
