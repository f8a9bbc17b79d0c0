"""Create the PostgreSQL test database if the server is reachable; exit 1 if not."""
import sys

import psycopg
from sqlalchemy.engine import make_url

url = make_url(sys.argv[1])
try:
    conn = psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                           password=url.password, dbname="postgres", connect_timeout=3,
                           autocommit=True)
except psycopg.OperationalError as error:
    print(f"PostgreSQL not reachable: {error}".strip(), file=sys.stderr)
    sys.exit(1)
with conn:
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone()
    if not exists:
        conn.execute(f'CREATE DATABASE "{url.database}"')
