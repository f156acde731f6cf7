# Tasklink: `make demo` to try it, `make test` to prove it.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEMO_ENV := DJANGO_DEBUG=true
SANDBOX_PORT ?= 8765
APP_PORT ?= 8000

.PHONY: demo test lint format bench clean

$(VENV)/.installed-%: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements$(if $(filter dev,$*),-dev,).txt
	@touch $@

demo: $(VENV)/.installed-runtime
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@# With REDIS_URL, events are grouped by a Celery worker (beat inside it: retention, and
	@# events spooled while no worker ran); without it, in the request.
	@worker=; \
	if [ -n "$$REDIS_URL" ]; then \
	  echo "Celery worker (with beat) on $$REDIS_URL"; \
	  $(DEMO_ENV) $(VENV)/bin/celery -A config worker --beat --loglevel=info \
	    --schedule="$${TMPDIR:-/tmp}/tasklink-celerybeat-schedule" & worker=$$!; \
	fi; \
	trap 'test -z "$$worker" || kill $$worker 2>/dev/null; wait' EXIT; \
	$(DEMO_ENV) SANDBOX_PORT=$(SANDBOX_PORT) APP_PORT=$(APP_PORT) $(PY) scripts/demo.py

test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
