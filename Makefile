# The two commands a newcomer runs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: messages translations pdf-fonts run test lint audit evidence loadtest test-sqlite-then-e2e test-sqlite test-postgresql test-e2e bench clean venv system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

CATALOGUES = backoffice/translations
## `make messages`: every string marked for translation (templates and code) into $(CATALOGUES)/messages.pot, and
## each language's catalogue updated from it (new strings empty, to be translated; see README "Adding a language").
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ -k lazy_gettext -k _l --no-location --sort-output --no-wrap --project=backoffice -o $(CATALOGUES)/messages.pot .
	$(BIN)/pybabel -q update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) --no-fuzzy-matching --ignore-obsolete --no-wrap

## `make translations`: the catalogues compiled (.mo, not kept in git); make run and make test do it first.
translations: $(STAMP)
	$(BIN)/python -c 'from backoffice.languages import compile_catalogues; compile_catalogues()'

## Start Redis, an RQ worker, the job dispatcher and the web app on http://127.0.0.1:$${PORT:-5000} (Ctrl-C stops them all).
## The file store is checked first: with STORAGE_URL set, a missing bucket, refused credentials or an endpoint that does
## not answer stop it here with what is wrong, before anything is stored.
run: pdf-fonts $(STAMP) translations
	mkdir -p instance
	$(BIN)/flask storage check
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	$(BIN)/python -m backoffice.devserver

## pip-audit (no installed package with a known vulnerability) and bandit (no high-severity finding in our code).
audit: $(STAMP)
	$(BIN)/python -m tests.tools.dependencies

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Lint and audit, then two lanes for two cores: the whole suite on SQLite followed by the browser suite, beside the
## suite on a throw-away PostgreSQL cluster (the longest suite alone; on 2 cores about 10.5 + 3.7 minutes beside 13.5).
## Each lane keeps its output together and has its own Redis; all must pass.
test: system-deps lint audit translations
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite-then-e2e test-postgresql

test-sqlite-then-e2e: $(STAMP)
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-e2e

# Installs the Debian packages named in $$missing when there are any and we may (root with apt-get); says so otherwise.
INSTALL_MISSING = if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing$$missing (apt-get)"; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; } \
				|| echo "note: could not install$$missing; what needs them will say so"; \
		else echo "note: missing Debian packages:$$missing (install them as root)"; fi; \
	fi

## The Noto fonts every PDF draws names in any script with (Latin, Greek, Cyrillic, Arabic, Hebrew, Devanagari:
## fonts-noto-core; Chinese, Japanese, Korean: fonts-noto-cjk): `make run` and the tests need them.
pdf-fonts:
	@missing=""; fc-list -q 'Noto Sans Devanagari' || missing="$$missing fonts-noto-core"; \
	fc-list -q 'Noto Sans CJK SC' || missing="$$missing fonts-noto-cjk"; \
	$(INSTALL_MISSING)

## Debian packages the tests drive: pdftotext (poppler-utils) reads PDFs back, Chromium runs the browser suite,
## Dovecot is the IMAP server the mailbox tests read replies from; and the PDF fonts.
system-deps: pdf-fonts
	@missing=""; command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	test -x "$${CHROMIUM:-/usr/bin/chromium}" || missing="$$missing chromium"; \
	test -x "$${DOVECOT:-/usr/sbin/dovecot}" || missing="$$missing dovecot-imapd"; \
	$(INSTALL_MISSING)

test-sqlite: $(STAMP)
	$(BIN)/python -m pytest -q --db sqlite --ignore=tests/e2e

test-postgresql: $(STAMP)
	$(BIN)/python -m pytest -q --db postgresql --ignore=tests/e2e

## The browser suite (tests/e2e): a `make run`-style server on a free port, driven by Debian's Chromium.
## Screenshots of every main page (and of the page a failing step was on) land in test-artifacts/e2e/.
test-e2e: system-deps $(STAMP)
	rm -rf test-artifacts/e2e
	$(BIN)/python -m pytest -q tests/e2e

## Benchmarks under tests/benchmarks (bench_*.py); figures are ratios against a baseline of the same run
## (bench_mail.py: 1,000 messages through the outbox against a bare smtplib loop; BENCH_MAIL_MESSAGES changes it).
bench: $(STAMP)
	$(BIN)/python -m pytest -q -s tests/benchmarks -o python_files='bench_*.py'

## The load test: 50 staff for 60 s on gunicorn (2 workers) + PostgreSQL + Redis, beside a bare Flask route in the
## same run (LOADTEST_USERS, LOADTEST_SECONDS, LOADTEST_WAIT change it). Fails on any error.
loadtest: $(STAMP)
	$(BIN)/python -m tests.tools.load.run

## Every figure of docs/EVIDENCE.md, measured again on this machine (long: benchmarks at full size, the load test,
## the mail outage fault test at a full minute with production's retry timing), then the document rewritten from
## test-artifacts/evidence/*.json.
evidence: system-deps $(STAMP)
	rm -rf test-artifacts/evidence
	$(MAKE) audit
	FAULTS_MAIL_OUTAGE_SECONDS=60 $(BIN)/python -m pytest -q --db sqlite tests/auth/test_access.py tests/fuzz tests/faults
	FAULTS_MAIL_OUTAGE_SECONDS=60 $(BIN)/python -m pytest -q --db postgresql tests/auth/test_access.py tests/fuzz \
		tests/faults
	$(MAKE) test-e2e
	$(BIN)/python -m pytest -q -s --db sqlite tests/benchmarks -o python_files='bench_*.py'
	BENCH_KILL_ORDERS=100 BENCH_KILLS=100 $(BIN)/python -m pytest -q -s --db postgresql tests/benchmarks \
		-o python_files='bench_*.py'
	$(MAKE) loadtest
	$(BIN)/python -m tests.tools.evidence

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache test-artifacts *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
