"""Settings of the test suite (pyproject's ``DJANGO_SETTINGS_MODULE``).

The production settings, then what the tests need, switched here explicitly rather
than by guessing from ``sys.modules`` whether a test runner is running. Processes the
tests start (the task cluster, the demo server) inherit this module through
``DJANGO_SETTINGS_MODULE``; tests of production behaviour start theirs with
``akrites.settings``.
"""

import os

from akrites.settings import *  # noqa: F403
from akrites.settings import INSTALLED_APPS, STORAGES, env_bool

SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-test-key-never-use-in-production-0123456789"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
# Hashing costs nothing in tests; the production hashers are tested by Django itself.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files from the finders: no collectstatic before a test run.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The test client speaks plain HTTP.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
# Webhook tests deliver to receivers on 127.0.0.1; SSRF tests switch this off.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", True)
# The seed_scale command is tested.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"] if "bench" not in INSTALLED_APPS else INSTALLED_APPS
# Dashboard figures are live in tests.
DASHBOARD_CACHE_SECONDS = 0
# The suite's own processes count in a local-memory cache that tests clear at will: a
# REDIS_URL left in a developer's shell must not point them at a shared server. Server
# processes a test starts to share one cache ask for it (tests/shared_cache.py).
if not env_bool("TEST_SHARED_CACHE", False):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Crash tests only (tests/api/test_idempotency_recovery.py): the server process exits right
# after an Idempotency-Key write commits, before it answers. Off unless that test's
# server is started with the variable set; production settings have no such switch.
TEST_EXIT_AFTER_IDEMPOTENT_COMMIT = env_bool("AKRITES_TEST_EXIT_AFTER_IDEMPOTENT_COMMIT", False)
