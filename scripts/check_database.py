"""Exit non-zero with one clear line when the test database server is unreachable."""

import os
import sys

import psycopg
from dj_database_url import parse

url = os.environ.get("DATABASE_URL", "")
cfg = parse(url)
if "postgresql" not in cfg["ENGINE"]:
    print(f"make test needs PostgreSQL; DATABASE_URL points at {cfg['ENGINE']}.", file=sys.stderr)
    sys.exit(2)
try:
    psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        user=cfg["USER"] or "postgres",
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        connect_timeout=5,
    ).close()
except psycopg.Error as exc:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    print(
        f"PostgreSQL is unreachable at {cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432} "
        f"({first}); start it or set DATABASE_URL.",
        file=sys.stderr,
    )
    sys.exit(2)
