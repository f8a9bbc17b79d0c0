"""Recording, queueing, running and watching jobs (one path whatever runs them)."""
from __future__ import annotations

import logging
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext
from sqlalchemy import update

from core.extensions import db
from core.models import Job, User
from core.models.base import utcnow

log = logging.getLogger(__name__)

QUEUE_NAME = "perfforms"
#: A running job writes a heartbeat at least this often; silence twice as long means its
#: worker is gone (restarted, killed) and the job is shown as failed, ready to retry.
HEARTBEAT_SECONDS = 30
JOB_TIMEOUT_SECONDS = 3600


class JobFailed(Exception):
    """A refusal a job function raises with a message for the user (no traceback logged)."""


def export_dir() -> Path:
    path = Path(current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def redis_connection():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis

    return Redis.from_url(url)


def submit(kind: str, params: dict, user: User) -> Job:
    """Record a job and start it: on the RQ queue when Redis is configured, else right here."""
    from core.jobs.kinds import KINDS

    if kind not in KINDS:
        raise KeyError(kind)
    job = Job(kind=kind, params=params, user_id=user.id, state="queued")
    db.session.add(job)
    db.session.commit()
    connection = redis_connection()
    if connection is None:
        run(job.id)
    else:
        from rq import Queue

        Queue(QUEUE_NAME, connection=connection).enqueue(
            "core.jobs.worker.perform", job.id, job_id=rq_id(job), job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=86400, failure_ttl=7 * 86400)
    return job


def rq_id(job: Job) -> str:
    return f"perfforms-job-{job.id}"


def _set(job_id: int, **values) -> None:
    """Write the job's row in its own transaction, so the page sees progress at once."""
    with db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(**values))


def run(job_id: int) -> None:
    """Run a recorded job to the end; its file appears only when complete."""
    from core.jobs.kinds import KINDS

    job = db.session.get(Job, job_id)
    if job is None or job.state in ("done", "failed"):
        return
    _set(job_id, state="running", started_at=utcnow(), heartbeat_at=utcnow(), done=0, total=0, error="")
    folder = export_dir()
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".partial-")
    try:
        with os.fdopen(handle, "wb") as out:
            name = KINDS[job.kind].run(job, out, lambda done, total: _set(
                job_id, done=done, total=total, heartbeat_at=utcnow()))
        final = f"{job.id}-{secrets.token_hex(8)}{Path(name).suffix}"
        os.replace(temp, folder / final)
        _set(job_id, state="done", result_path=final, result_name=name, finished_at=utcnow())
    except JobFailed as refused:
        _fail(job_id, temp, str(refused))
    except Exception:  # noqa: BLE001 - a job's error is shown to its user, the trace goes to the log
        reference = secrets.token_hex(4)
        log.exception("job %s (%s) failed, reference %s", job_id, job.kind, reference)
        _fail(job_id, temp, gettext("导出失败（参考编号 %(ref)s），请重试；如仍失败，请把参考编号告知管理员。",
                                    ref=reference))
    finally:
        db.session.rollback()


def _fail(job_id: int, temp: str, message: str) -> None:
    Path(temp).unlink(missing_ok=True)
    _set(job_id, state="failed", error=message, finished_at=utcnow())


def refresh(job: Job) -> Job:
    """Notice a job whose worker disappeared: no heartbeat for two intervals, or RQ says it
    failed or lost it. Such a job becomes failed (and retryable) instead of pending forever."""
    if job.state not in ("queued", "running"):
        return job
    lost = False
    if job.state == "running" and job.heartbeat_at is not None:
        beat = job.heartbeat_at if job.heartbeat_at.tzinfo else job.heartbeat_at.replace(tzinfo=utcnow().tzinfo)
        lost = utcnow() - beat > timedelta(seconds=2 * HEARTBEAT_SECONDS)
    connection = redis_connection()
    if not lost and connection is not None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job as RqJob

        try:
            status = RqJob.fetch(rq_id(job), connection=connection).get_status(refresh=True)
            lost = status in ("failed", "stopped", "canceled")
        except NoSuchJobError:
            lost = True
    if lost:
        _set(job.id, state="failed", finished_at=utcnow(),
             error=gettext("任务在后台中断（服务重启或超时），文件未生成。请点击「重试」。"))
        db.session.refresh(job)
    return job


def retry(job: Job, user: User) -> Job:
    """A new job with the same request (the failed one stays in the history)."""
    return submit(job.kind, dict(job.params), user)
