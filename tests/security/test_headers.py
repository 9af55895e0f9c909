"""Headers and pages: CSP without inline code, HSTS, nosniff, referrer policy, frame
ancestors; `check --deploy` clean with production settings; no stack trace on errors."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def csp_directives(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client_for: Any, coordinator: Any) -> None:
    for response in (
        Client().get(reverse("login")),
        client_for(coordinator).get(reverse("cases:home")),
    ):
        assert response.status_code == 200
        csp = csp_directives(response)
        assert csp["script-src"] == "'self'"
        assert csp["style-src"] == "'self'"
        assert csp["frame-ancestors"] == "'none'"
        assert csp["object-src"] == "'none'"
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert "unsafe-eval" not in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_https_responses_carry_hsts() -> None:
    response = Client().get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_script_style_or_event_handler(template: Path) -> None:
    """The CSP forbids them, so they would silently not work."""
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"<style[\s>]", text), "inline <style>"
    assert not re.search(r"\sstyle\s*=", text), "style= attribute"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert "javascript:" not in text.lower()


def production_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "DEBUG", "SECURE_", "SESSION_", "CSRF_"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        AUDIT_CHAIN_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="akrites.example.org",
        DJANGO_SETTINGS_MODULE="akrites.settings",
        **extra,
    )
    return env


def test_check_deploy_with_production_settings_reports_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


@pytest.mark.django_db
@pytest.mark.urls("tests.security.urls_boom")
@override_settings(DEBUG=False, DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_a_server_error_shows_no_stack_trace_or_data(client_for: Any, coordinator: Any) -> None:
    client = client_for(coordinator)
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Traceback" not in body
    assert "RuntimeError" not in body
    assert "secret-detail" not in body
    assert "AKR-2026-0001" not in body
    assert "Content-Security-Policy" in response.headers


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_missing_page_shows_the_plain_404(client_for: Any, coordinator: Any) -> None:
    response = client_for(coordinator).get("/no/such/page/")
    assert response.status_code == 404
    assert "Using the URLconf" not in response.content.decode()
