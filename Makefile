# CertQuest: `make run` sets up and serves on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test serve-prod install install-dev migrate load-bank bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask db upgrade

load-bank: migrate
	$(BIN)/flask load-bank

run: load-bank
	@echo "CertQuest is serving on http://$(HOST):$(PORT) (Ctrl+C stops it)"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/flask run --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m tests.tools.suite $(PYTEST_ARGS)

serve-prod: migrate
	CERTQUEST_ENV=production $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

# study_bench.py and analytics_bench.py measure an existing data set of bench/generate_data.py
# (analytics_bench.py needs migration 0012): BENCH_DATABASE_URL names it.
bench: install-dev
	$(BIN)/python bench/health_bench.py
	$(BIN)/python bench/quiz_bench.py $(BENCH_ARGS)
	@if [ -n "$(BENCH_DATABASE_URL)" ]; then \
		$(BIN)/python bench/study_bench.py --database-url "$(BENCH_DATABASE_URL)" $(STUDY_BENCH_ARGS); \
		$(BIN)/python bench/analytics_bench.py --database-url "$(BENCH_DATABASE_URL)" $(ANALYTICS_BENCH_ARGS); \
	else echo "bench/study_bench.py and bench/analytics_bench.py skipped: set BENCH_DATABASE_URL to a data set made by bench/generate_data.py"; fi

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
