"""`make serve` refuses several web workers without a shared cache, unless told to.

``scripts/serve.sh`` runs with a stand-in Python that answers the worker count (the real
interpreter reads akrites/gunicorn.conf.py) and stops at the first ``manage.py`` step,
so the test shows where the script stopped without starting anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def stand_in_python(tmp_path: Path) -> Path:
    script = tmp_path / "python"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-c" ]; then exec {sys.executable} "$@"; fi\n'
        'echo "reached: $*"\n'
        "exit 3\n"
    )
    script.chmod(0o755)
    return script


def serve(python: Path, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "ALLOW_LOCAL_CACHE", "WEB_CONCURRENCY", "SERVE_ROLE"}
    }
    return subprocess.run(
        ["scripts/serve.sh"],
        cwd=ROOT,
        env={
            **base,
            "PY": str(python),
            "DATABASE_URL": "postgres://akrites@db.invalid/akrites",
            "SECRET_KEY": "x" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_workers_without_a_shared_cache_are_refused_with_what_to_do(
    stand_in_python: Path,
) -> None:
    result = serve(stand_in_python, WEB_CONCURRENCY="4")
    assert result.returncode == 2
    assert "4 web workers but no shared cache" in result.stderr
    assert "REDIS_URL" in result.stderr and "ALLOW_LOCAL_CACHE=1" in result.stderr
    assert "reached" not in result.stdout


@pytest.mark.parametrize(
    "env",
    [
        {"WEB_CONCURRENCY": "4", "REDIS_URL": "redis://cache.invalid:6379/0"},
        {"WEB_CONCURRENCY": "4", "ALLOW_LOCAL_CACHE": "1"},
        {"WEB_CONCURRENCY": "1"},
        {"WEB_CONCURRENCY": "4", "SERVE_ROLE": "worker"},
    ],
    ids=["shared-cache", "told-to", "one-worker", "worker-machine"],
)
def test_a_shared_cache_one_worker_or_an_explicit_yes_start(
    stand_in_python: Path, env: dict[str, str]
) -> None:
    result = serve(stand_in_python, **env)
    assert "reached: manage.py collectstatic" in result.stdout, result.stderr
