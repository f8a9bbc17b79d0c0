"""stored derived values for lists at province scale; background jobs

Scores, grades, monitoring rates and planned execution are written when their inputs
change (issue 13) instead of recomputed on every view. The columns start empty;
``flask init-db`` (run on every deploy) fills them for existing rows through the
app's own writers (core/derived.py), so the numbers are computed by one piece of code.

Revision ID: 9b4e7c2d1f30
Revises: 5e8d2c41a9f0
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b4e7c2d1f30'
down_revision = '5e8d2c41a9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission') as batch:
        batch.add_column(sa.Column('score_total', sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column('grade', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('grade_key', sa.String(40), nullable=True))
    op.create_index('ix_submission_kind_state', 'submission', ['kind', 'state'])
    op.create_index('ix_submission_revision_event', 'submission_revision', ['submission_id', 'event'])
    op.create_index('ix_project_year_name', 'project', ['year', 'name'])
    with op.batch_alter_table('monitoring_report') as batch:
        batch.add_column(sa.Column('budget_light', sa.String(10), nullable=True))
        batch.add_column(sa.Column('execution_rate', sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column('planned_rate', sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column('progress', sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column('alert_count', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('budget_yuan', sa.Numeric(20, 2), nullable=True))
        batch.add_column(sa.Column('executed_yuan', sa.Numeric(20, 2), nullable=True))
    op.create_index('ix_monitoring_report_year_round', 'monitoring_report', ['year', 'round_id', 'state'])
    op.create_table(
        'planned_execution',
        sa.Column('project_id', sa.Integer(), sa.ForeignKey('project.id'), primary_key=True),
        sa.Column('month', sa.Integer(), primary_key=True),
        sa.Column('rate', sa.Numeric(12, 2), nullable=False),
        sa.Column('budget_yuan', sa.Numeric(20, 2), nullable=False),
    )


    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=False),
        sa.Column('state', sa.String(10), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('result_path', sa.String(200), nullable=True),
        sa.Column('result_name', sa.String(200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_job_user_id', 'job', ['user_id'])


def downgrade():
    op.drop_index('ix_job_user_id', table_name='job')
    op.drop_table('job')
    op.drop_table('planned_execution')
    op.drop_index('ix_monitoring_report_year_round', table_name='monitoring_report')
    with op.batch_alter_table('monitoring_report') as batch:
        for name in ('executed_yuan', 'budget_yuan', 'alert_count', 'progress', 'planned_rate',
                     'execution_rate', 'budget_light'):
            batch.drop_column(name)
    op.drop_index('ix_project_year_name', table_name='project')
    op.drop_index('ix_submission_revision_event', table_name='submission_revision')
    op.drop_index('ix_submission_kind_state', table_name='submission')
    with op.batch_alter_table('submission') as batch:
        for name in ('grade_key', 'grade', 'score_total'):
            batch.drop_column(name)
