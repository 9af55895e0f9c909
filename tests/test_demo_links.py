"""The demo's links point at the server `make run` starts, and the second-factor
command it prints works as printed (issue 13, "Demo links")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from cases.demo_security import banner_lines, demo_totp_command

ROOT = Path(__file__).resolve().parent.parent


def _planned_commands(*args: str, **env: str) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if k != "SITE_URL"} | env
    result = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if "manage.py" in line]


def test_make_run_on_another_port_writes_that_port_into_every_demo_link() -> None:
    commands = _planned_commands("PORT=18160")

    assert commands
    assert all("SITE_URL=http://127.0.0.1:18160 " in line for line in commands), commands


def test_make_run_keeps_a_site_url_that_is_set() -> None:
    commands = _planned_commands("PORT=18160", SITE_URL="https://portal.example.org")

    assert all("SITE_URL=https://portal.example.org " in line for line in commands), commands


def test_a_server_listening_everywhere_is_linked_on_the_loopback_address() -> None:
    commands = _planned_commands("HOST=0.0.0.0", "PORT=18161")

    assert all("SITE_URL=http://127.0.0.1:18161 " in line for line in commands), commands


def test_the_printed_demo_totp_command_names_the_demo_data_directory(tmp_path: Path) -> None:
    with override_settings(DATA_DIR=tmp_path / "demo data"):
        command = demo_totp_command()
        banner = "\n".join(banner_lines())

    assert command.startswith(f"AKRITES_DATA_DIR='{tmp_path / 'demo data'}' DEBUG=1 ")
    assert command in banner


@pytest.mark.parametrize("data_dir", [None, ".data"])
def test_the_default_data_directory_needs_no_prefix(data_dir: str | None) -> None:
    with override_settings(DATA_DIR=settings.BASE_DIR / (data_dir or ".data")):
        assert demo_totp_command() == "DEBUG=1 .venv/bin/python manage.py demo_totp coordinator"
