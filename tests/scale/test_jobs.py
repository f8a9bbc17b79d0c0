"""Exports run as jobs: on RQ with the real Redis when configured, in-process otherwise;
every matching row, not one page; a failure is shown to its user and leaves no file."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.extensions import db
from core.jobs import queue
from core.models import Job, Project, User
from core.models.base import utcnow
from tests.conftest import csrf_token, login

from .test_query_counts import YEAR, province  # noqa: F401 - the fixture

REDIS_URL = "redis://127.0.0.1:6379/15"


def _start(client, data, page="/"):
    token = csrf_token(client, page)
    response = client.post("/jobs/", data={"csrf_token": token, **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(re.search(r"/jobs/(\d+)", response.headers["Location"]).group(1))


def _download(client, job_id):
    status = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "已完成" in status, status[:2000]
    response = client.get(f"/jobs/{job_id}/download")
    assert response.status_code == 200
    return response.data


def _rows(body: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True))


def test_project_export_has_every_matching_row_not_one_page(app, client, province):
    province(60)
    login(client, "reviewer")
    job_id = _start(client, {"kind": "projects_xlsx", "query": f"year={YEAR}&page=2"})
    rows = _rows(_download(client, job_id))
    assert rows[0][:3] == ("年度", "项目编码", "项目名称") and len(rows) == 61
    # Another user cannot see or download it.
    client.get("/logout")
    login(client, "leader")
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


def test_monitoring_export_follows_the_filters(app, client, province):
    province(12)
    login(client, "reviewer")
    job_id = _start(client, {"kind": "monitoring_xlsx", "query": f"year={YEAR}&round=m06&state=missing"},
                    page=f"/monitoring/?year={YEAR}")
    rows = _rows(_download(client, job_id))
    assert len(rows) == 1 + 6 and all(r[8] == "未填报" for r in rows[1:])


def test_a_departments_goal_forms_as_one_zip(app, client, province):
    province(3)
    login(client, "reviewer")
    project = db.session.scalar(select(Project))
    job_id = _start(client, {"kind": "goal_pdfs_zip", "organization_id": project.organization_id,
                             "year": YEAR}, page=f"/projects/{project.id}")
    archive = zipfile.ZipFile(io.BytesIO(_download(client, job_id)))
    names = archive.namelist()
    assert len(names) == 3 and all(n.endswith(".pdf") for n in names)
    assert archive.read(names[0]).startswith(b"%PDF")


def test_bad_requests_are_refused_before_a_job_exists(app, client, province):
    province(2)
    login(client, "reviewer")
    token = csrf_token(client, "/")
    assert client.post("/jobs/", data={"csrf_token": token, "kind": "nope"}).status_code == 400
    assert client.post("/jobs/", data={"csrf_token": token, "kind": "projects_xlsx",
                                       "query": "year=99999999999"}).status_code == 400
    assert client.post("/jobs/", data={"kind": "projects_xlsx"}).status_code == 400  # no CSRF token
    assert db.session.scalar(select(Job.id)) is None


def test_a_failing_job_shows_its_error_and_leaves_no_file(app, client, province, monkeypatch):
    from core.jobs import kinds

    province(2)
    login(client, "reviewer")

    def broken(job, out, progress):
        out.write(b"half a file")
        raise RuntimeError("disk on fire")
    monkeypatch.setitem(kinds.KINDS, "projects_xlsx", kinds.Kind("项目清单导出（Excel）", broken))
    job_id = _start(client, {"kind": "projects_xlsx", "query": ""})
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "导出失败" in page and "参考编号" in page and "disk on fire" not in page and "重试" in page
    assert not [p for p in queue.export_dir().iterdir() if p.name.startswith(f"{job_id}-") or
                p.name.startswith(".partial-")]
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


def test_a_job_whose_worker_died_is_failed_and_retryable(app, client, province):
    province(2)
    login(client, "reviewer")
    user_id = db.session.scalar(select(User.id).where(User.username == "reviewer"))
    job = Job(kind="projects_xlsx", params={}, user_id=user_id, state="running",
              heartbeat_at=utcnow() - timedelta(minutes=10))
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "中断" in page and "重试" in page
    token = csrf_token(client, f"/jobs/{job_id}")
    retried = client.post(f"/jobs/{job_id}/retry", data={"csrf_token": token})
    assert retried.status_code == 302
    new_id = int(re.search(r"/jobs/(\d+)", retried.headers["Location"]).group(1))
    assert new_id != job_id and len(_rows(_download(client, new_id))) == 3


@pytest.fixture
def redis_queue(app):
    """The real Redis on this machine (database 15, emptied), as RQ's broker."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    connection.flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    yield connection
    connection.flushdb()
    app.config["REDIS_URL"] = ""


def test_with_redis_the_export_waits_in_the_queue_until_a_worker_runs_it(app, client, province, redis_queue):
    from rq import Queue, SimpleWorker

    province(7)
    login(client, "reviewer")
    job_id = _start(client, {"kind": "projects_xlsx", "query": ""})
    waiting = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "排队中" in waiting and 'http-equiv="refresh"' in waiting
    assert Queue(queue.QUEUE_NAME, connection=redis_queue).count == 1
    SimpleWorker([Queue(queue.QUEUE_NAME, connection=redis_queue)], connection=redis_queue).work(burst=True)
    db.session.expire_all()
    assert len(_rows(_download(client, job_id))) == 8
