"""Backup and restore throughput on a temporary SQLite database.

    python bench/bench_backup.py [rows]

Fills the audit trail with ``rows`` events (JSON details, timestamps) through Core
inserts, then times ``backup`` to a gzip file and ``restore`` into a second, empty
database, and prints rows per second and the file size. Timings vary with the
machine: compare runs on the same machine, not with a fixed number.
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from core.app import create_app  # noqa: E402
from core.backup import backup, restore  # noqa: E402
from core.extensions import db  # noqa: E402


def app_on(path: Path):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench", "TESTING": True})


def main(rows: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    source, target, dump = app_on(folder / "source.sqlite"), app_on(folder / "target.sqlite"), folder / "dump.gz"
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    with source.app_context():
        db.create_all()
        table = db.metadata.tables["audit_event"]
        with db.engine.begin() as connection:
            for offset in range(0, rows, 5000):
                connection.execute(sa.insert(table), [
                    {"at": start + timedelta(seconds=i), "action": "submission.save", "object_type": "submission",
                     "object_id": i % 500, "comment": "", "detail": {"changes": [{"path": f"fields.f{i}", "old": "1",
                                                                                 "new": "2.50"}]}}
                    for i in range(offset, min(rows, offset + 5000))])
        began = time.perf_counter()
        with open(dump, "wb") as out:
            backup(db.engine, db.metadata, out)
        took = time.perf_counter() - began
        print(f"backup : {rows} rows in {took:.2f} s ({rows / took:,.0f} rows/s), file {dump.stat().st_size / 1e6:.1f} MB")
        db.engine.dispose()
    with target.app_context():
        db.create_all()
        began = time.perf_counter()
        with open(dump, "rb") as source_file:
            restore(db.engine, db.metadata, source_file)
        took = time.perf_counter() - began
        print(f"restore: {rows} rows in {took:.2f} s ({rows / took:,.0f} rows/s)")
        db.engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
