# The two commands a newcomer runs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: run test lint test-sqlite test-postgresql bench clean venv system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## Start Redis, an RQ worker, the job dispatcher and the web app on http://127.0.0.1:$${PORT:-5000} (Ctrl-C stops them all).
run: $(STAMP)
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	$(BIN)/python -m backoffice.devserver

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Lint, then the whole suite on SQLite and on a throw-away PostgreSQL cluster, with a real Redis.
test: system-deps lint test-sqlite test-postgresql

## pdftotext (poppler-utils) lets the PDF tests read the text back; installed when missing and we may (root).
system-deps:
	@command -v pdftotext >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null) \
		|| echo "note: pdftotext not installed; PDF text checks will be skipped"; }

test-sqlite: $(STAMP)
	$(BIN)/python -m pytest -q --db sqlite

test-postgresql: $(STAMP)
	$(BIN)/python -m pytest -q --db postgresql

## Benchmarks under tests/benchmarks (bench_*.py); figures are ratios against a baseline of the same run.
bench: $(STAMP)
	$(BIN)/python -m pytest -q -s tests/benchmarks -o python_files='bench_*.py'

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache test-artifacts *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
