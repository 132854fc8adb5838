# The two commands a new user needs: `make run` and `make test` (README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock | cksum | cut -d' ' -f1)

# Embedded mode: SQLite, Celery tasks in-process, local-memory cache; nothing else to run.
RUN_ENV := DEBUG=true \
	SECRET_KEY=dev-only-insecure-key-for-make-run \
	DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3 \
	CACHE_URL=locmem:// \
	CELERY_TASK_ALWAYS_EAGER=true

.PHONY: install run test test-newer lint schema check-schema bench bench-full fuzz clean

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py load_demo --dossiers 300
	@echo "Serving http://127.0.0.1:8000/  (Swagger UI: http://127.0.0.1:8000/api/docs/)"
	@# The scheduled jobs (overdue sweep, reminders, applicant notices, ...) run beside the server:
	@# apps/common/scheduler.py; e-mail goes to this console.
	$(RUN_ENV) $(BIN)/python manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/python -m pytest

# The fast part of the suite on the newest Python 3.12+ that pyenv has (pyproject: requires-python >= 3.11),
# in a virtualenv of its own and a test database of its own; skipped, saying so, where there is none.
NEWER_PYTHON ?= $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3)))
NEWER_VENV ?= .venv-py$(notdir $(patsubst %/bin/python3,%,$(NEWER_PYTHON)))
NEWER_TESTS ?= tests/onestop tests/api tests/ops/test_health.py tests/ops/test_commands.py
test-newer:
ifeq ($(strip $(NEWER_PYTHON)),)
	@echo "test-newer: SKIPPED: no Python 3.12 or newer in ~/.pyenv/versions (or set NEWER_PYTHON=/path/to/python3)"
else
	test -x $(NEWER_VENV)/bin/python || $(NEWER_PYTHON) -m venv $(NEWER_VENV)
	$(NEWER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@$(NEWER_VENV)/bin/python --version
	TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-test_onestop}_newer $(NEWER_VENV)/bin/python -m pytest $(NEWER_TESTS) -q
endif

lint: install
	$(BIN)/ruff check .

# Regenerate the committed OpenAPI schema after an API change (a test fails while it drifts).
schema: install
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/python manage.py spectacular --file openapi.yaml --validate --fail-on-warn

# Every benchmark (bench/run_all.py) at quick sizes, then one table: figure, target, measured, ratio.
# `make bench-full` runs the full sizes (statistics at 1 M and 12.25 M dossiers: ~20 min) and writes bench/RESULTS.md.
bench: install
	$(BIN)/python bench/run_all.py

bench-full: install
	$(BIN)/python bench/run_all.py --full

# Schema fuzzing with a large budget: every operation, FUZZ_EXAMPLES generated requests each, each sent
# as every role (`make test` runs the same test at 3 examples, one role per request). FUZZ_SEED=<n> explores anew.
FUZZ_EXAMPLES ?= 100
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_EVERY_ROLE=1 $(BIN)/python -m pytest tests/hardening/test_schema_fuzz.py -q -s

clean:
	rm -rf $(VENV) .venv-py3.* db.sqlite3 media
