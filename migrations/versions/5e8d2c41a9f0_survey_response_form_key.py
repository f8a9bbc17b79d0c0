"""one response per served questionnaire (survey_response.form_key)

A double tap on 提交 sent the same questionnaire twice at once; both requests
passed the duplicate-device check before either was stored, so the response
counted twice. The served page's random key is now stored with a unique
(survey_id, form_key) constraint and the second copy is refused. Existing rows
keep NULL, which the constraint allows any number of times.

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
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_key', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint('uq_survey_response_form_key', ['survey_id', 'form_key'])


def downgrade():
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_constraint('uq_survey_response_form_key', type_='unique')
        batch_op.drop_column('form_key')
