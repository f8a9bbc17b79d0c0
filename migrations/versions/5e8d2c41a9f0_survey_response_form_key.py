"""one response per served questionnaire (survey_response.form_key)

A double tap on 提交 sent the same questionnaire twice at once; both requests
passed the duplicate-device check before either was stored, so the response
counted twice. The served page's random key is now stored with a unique
(survey_id, form_key) index and the second copy is refused. Existing rows keep
NULL, which the index allows any number of times. An index, not a table
constraint: on SQLite a constraint would rebuild survey_response, and dropping
the old table fails while survey_answer rows point at it (foreign keys are on).

Revision ID: 5e8d2c41a9f0
Revises: 3c1f9a2e7b55
Create Date: 2026-11-23 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e8d2c41a9f0'
down_revision = '3c1f9a2e7b55'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('survey_response', sa.Column('form_key', sa.String(length=32), nullable=True))
    op.create_index('uq_survey_response_form_key', 'survey_response', ['survey_id', 'form_key'], unique=True)


def downgrade():
    op.drop_index('uq_survey_response_form_key', table_name='survey_response')
    # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch rebuild would fail as above.
    op.drop_column('survey_response', 'form_key')
