"""Without SECRET_KEY, a production start refuses with a clear message, while
management commands that sign nothing (the migration check) still run."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(DEBUG="0", DJANGO_SETTINGS_MODULE="akrites.settings", **extra)
    return env


def test_production_start_without_secret_key_refuses_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import akrites.wsgi"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_start_with_a_secret_key_loads_the_application() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import akrites.wsgi; print(akrites.wsgi.application)"],
        cwd=ROOT,
        env=_env(SECRET_KEY="k" * 50, ALLOWED_HOSTS="portal.example.org"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "WSGIHandler" in result.stdout


def test_migration_check_runs_without_a_secret_key() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
