"""The RQ side: ``flask --app wsgi jobs worker`` runs a worker in the app's context.

RQ imports :func:`perform` by name in the worker process; it builds the app once per
process (configuration from the environment, as ``wsgi.py`` does).
"""
from __future__ import annotations

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext

_app = None


def perform(job_id: int) -> None:
    """Run job ``job_id`` (called by RQ)."""
    global _app
    from core.jobs.queue import run

    if has_app_context():
        with current_app.test_request_context():
            run(job_id)
        return
    if _app is None:
        from core.app import create_app

        _app = create_app()
    with _app.app_context(), _app.test_request_context():
        run(job_id)


@click.group("jobs")
def jobs() -> None:
    """Background jobs (exports, PDF ZIPs) on Redis."""


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Work the job queue (needs REDIS_URL)."""
    from rq import Queue, SimpleWorker

    from core.jobs.queue import QUEUE_NAME, redis_connection

    connection = redis_connection()
    if connection is None:
        raise click.ClickException("REDIS_URL is not set: jobs run inside the web process")
    # SimpleWorker runs each job in this process, inside the app context pushed above.
    SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=burst)
