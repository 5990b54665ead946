# llmops — the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/llmops
# A real OpenRouter /api/v1/models response (2025-12-02), kept in the repo.
DEMO_CATALOG ?= tests/discovery/data/openrouter_catalog_2025-12-02.json

.PHONY: demo test test-sqlite test-postgres install run worker beat bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) seed_demo --admin --lifecycle
	$(MANAGE) run_operator --no-llm
	$(MANAGE) fetch_openrouter --file $(DEMO_CATALOG)
	$(MANAGE) match_catalog --no-llm
	$(MANAGE) recheck_models
	@$(MANAGE) demo_summary

test: test-sqlite test-postgres

test-sqlite: $(STAMP)
	DATABASE_URL=sqlite:///var/test.sqlite3 $(PY) -m pytest -q

# PostgreSQL runs when a server answers (CI requires it with REQUIRE_POSTGRES=1).
test-postgres: $(STAMP)
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(POSTGRES_TEST_URL)'.replace('/llmops','/postgres'), connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL=$(POSTGRES_TEST_URL) $(PY) -m pytest -q; \
	elif [ "$$REQUIRE_POSTGRES" = "1" ]; then \
		echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but $(POSTGRES_TEST_URL) does not answer"; exit 1; \
	else \
		echo "PostgreSQL not reachable at $(POSTGRES_TEST_URL): skipping the PostgreSQL run (set POSTGRES_TEST_URL)"; \
	fi

# Without DEBUG, as in production: WhiteNoise serves the collected admin CSS/JS.
run: $(STAMP)
	$(MANAGE) collectstatic --noinput -v0
	$(MANAGE) runserver 127.0.0.1:8000

worker: $(STAMP)
	$(VENV)/bin/celery -A llmops worker -B --loglevel=info

# Production: `celery -A llmops worker` on each worker host, and exactly one beat.
beat: $(STAMP)
	$(VENV)/bin/celery -A llmops beat --loglevel=info --schedule=var/celerybeat-schedule

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var
