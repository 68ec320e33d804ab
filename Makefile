# Hromada: `make run` serves the app, `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
export HOST PORT

CATALOGS := $(wildcard app/locale/*/LC_MESSAGES/messages.po petitions/locale/*/LC_MESSAGES/messages.po budget/locale/*/LC_MESSAGES/messages.po consultations/locale/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test install install-dev messages migrate seed lint contracts test-sqlite test-postgresql e2e e2e-other-modes bench worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

messages: $(COMPILED)

migrate: install
	$(BIN)/hromada migrate

seed: migrate
	$(BIN)/hromada seed-demo

## Serve on http://$(HOST):$(PORT) with the embedded SQLite database and demo data.
run: install messages seed
	HROMADA_WORKER_IN_PROCESS=true $(BIN)/hromada serve --host $(HOST) --port $(PORT)

worker: install
	$(BIN)/hromada worker

lint: install-dev
	$(BIN)/ruff check .

contracts: install-dev
	$(BIN)/lint-imports

test-sqlite: install-dev messages
	$(BIN)/python -m pytest -n 2 --dist loadfile --db sqlite -m "not slow and not e2e" $(PYTEST_ARGS)

test-postgresql: install-dev messages
	@if [ -n "$$HROMADA_TEST_DATABASE_URL" ]; then \
	  $(BIN)/python -m pytest -n 2 --dist loadfile --db postgresql -m "not slow and not e2e" $(PYTEST_ARGS); \
	else echo "HROMADA_TEST_DATABASE_URL is not set: the PostgreSQL run is left out"; fi

## Browser tests: run when a Chromium is installed (CI installs Debian's chromium).
e2e: install-dev messages
	@if [ -x "$${HROMADA_CHROMIUM:-/usr/bin/chromium}" ]; then \
	  $(BIN)/python -m pytest tests/e2e -m e2e -p no:randomly $(PYTEST_ARGS); \
	else echo "NOTE: no Chromium at $${HROMADA_CHROMIUM:-/usr/bin/chromium}; the browser tests did not run (apt-get install chromium)"; fi

## The browser scenarios in the two modes `make e2e` leaves out (scripts in English, none in
## Ukrainian); CI runs them after `make test`.
e2e-other-modes:
	HROMADA_E2E_MODES=js-en,nojs-uk $(MAKE) e2e

## Everything: lint, import contracts, the suite on SQLite and PostgreSQL, the browser tests.
test: lint contracts test-sqlite test-postgresql e2e

bench: install-dev messages
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/*.db var/*.db-* var/outbox
