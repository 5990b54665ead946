# llmops — the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
# SecantusDB, the MongoDB-wire server the MongoDB suites run on, lives in its own venv.
SECANTUS_VENV := .venv-secantus
SECANTUS_PY := $(SECANTUS_VENV)/bin/python
SECANTUS_STAMP := $(SECANTUS_VENV)/.installed
# Runs a command with DATABASE_URL/MONGODB_URI on a fresh in-memory SecantusDB (tests/mongo/serve.py).
SERVE_MONGO := $(PY) tests/mongo/serve.py --python $(SECANTUS_PY) --
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/llmops
# A real OpenRouter /api/v1/models response (2025-12-02), kept in the repo.
DEMO_CATALOG ?= tests/discovery/data/openrouter_catalog_2025-12-02.json

.PHONY: demo test test-sqlite test-postgres test-mongo test-mongo-ci secantus install run worker beat bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(SECANTUS_STAMP): requirements-mongo-server.txt
	$(PYTHON) -m venv $(SECANTUS_VENV)
	$(SECANTUS_PY) -m pip install --quiet --upgrade pip
	$(SECANTUS_PY) -m pip install --quiet -r requirements-mongo-server.txt
	touch $(SECANTUS_STAMP)

install: $(STAMP)

secantus: $(SECANTUS_STAMP)

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

# The whole suite on SecantusDB (~10 min here; CI runs it: see tests/mongo/README.md); SQL-only tests skip there.
# Fast flush between tests (post-migrate snapshot instead of flush + post_migrate); a test phase
# that runs past MONGO_TEST_TIMEOUT seconds fails instead of hanging the run.
MONGO_TEST_TIMEOUT ?= 900
test-mongo: $(STAMP) $(SECANTUS_STAMP)
	MONGO_FAST_FLUSH=1 MONGO_TEST_TIMEOUT=$(MONGO_TEST_TIMEOUT) $(SERVE_MONGO) $(PY) -m pytest -q -p tests.mongo.plugin

# The quick MongoDB suite (~6 min): the tests marked `mongo`, and the live CRUD test (marked
# `mongo_live`), which runs because serve.py sets MONGODB_URI. REQUIRE_MONGO=1 requires the server.
test-mongo-ci: $(STAMP) $(SECANTUS_STAMP)
	$(SERVE_MONGO) $(PY) -m pytest -q -p tests.mongo.plugin -m "mongo or mongo_live"

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
	rm -rf $(VENV) $(SECANTUS_VENV) var
