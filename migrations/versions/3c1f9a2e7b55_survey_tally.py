"""survey results counters (survey_tally) instead of the covering answer index

The results page reads per-question/per-choice counters kept on every submission
(survey/tally.py) instead of scanning ``ix_survey_answer_aggregate``, which cost a
submission one written index page per answer. The answers stay, with an
append-only (survey_id, response_id) index. Existing answers are counted here, so
surveys already running keep their results.

Revision ID: 3c1f9a2e7b55
Revises: 7d93b70dba7d
Create Date: 2026-12-01 10:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1f9a2e7b55'
down_revision = '7d93b70dba7d'
branch_labels = None
depends_on = None

# Self-contained on purpose (a migration must not change when the app's code does):
# the same counts as survey.tally.aggregate, written out in SQL.
COUNT_CHOICES = """
INSERT INTO survey_tally (survey_id, shard, question_id, item_id, choice, valid, total, value)
SELECT a.survey_id, 0, a.question_id, a.item_id, a.choice,
       sum(CASE WHEN r.excluded THEN 0 ELSE 1 END), count(*), max(a.value)
FROM survey_answer a JOIN survey_response r ON r.id = a.response_id
WHERE a.choice IS NOT NULL
GROUP BY a.survey_id, a.question_id, a.item_id, a.choice
"""
# A multiple-choice question's respondents (choice ''), per survey.
COUNT_RESPONDENTS = """
INSERT INTO survey_tally (survey_id, shard, question_id, item_id, choice, valid, total, value)
SELECT survey_id, 0, question_id, '', '', sum(CASE WHEN excluded THEN 0 ELSE 1 END), count(*), NULL
FROM (SELECT DISTINCT a.survey_id, a.response_id, a.question_id, r.excluded
      FROM survey_answer a JOIN survey_response r ON r.id = a.response_id
      WHERE a.survey_id = :survey_id AND a.question_id = :question_id AND a.choice IS NOT NULL) answered
GROUP BY survey_id, question_id
"""


def _multi_choice_questions(connection):
    """(survey id, question id) of every multiple-choice question in the surveys' snapshots."""
    for survey_id, definition in connection.execute(sa.text("SELECT id, definition FROM survey")):
        if isinstance(definition, str):
            definition = json.loads(definition)
        for section in (definition or {}).get("sections", []):
            for field in section.get("fields", []):
                if field.get("type") == "multi_choice":
                    yield survey_id, field["id"]


def upgrade():
    op.create_table('survey_tally',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('shard', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('choice', sa.String(length=64), nullable=False),
    sa.Column('valid', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=6, scale=2, asdecimal=False), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_tally_survey_id_survey')),
    sa.PrimaryKeyConstraint('survey_id', 'shard', 'question_id', 'item_id', 'choice', name=op.f('pk_survey_tally'))
    )
    connection = op.get_bind()
    connection.execute(sa.text(COUNT_CHOICES))
    for survey_id, question_id in list(_multi_choice_questions(connection)):
        connection.execute(sa.text(COUNT_RESPONDENTS), {"survey_id": survey_id, "question_id": question_id})
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answer_aggregate')
        batch_op.create_index('ix_survey_answer_survey_response', ['survey_id', 'response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answer_survey_response')
        batch_op.create_index('ix_survey_answer_aggregate', ['survey_id', 'question_id', 'item_id', 'choice', 'value', 'response_id'], unique=False)
    op.drop_table('survey_tally')
