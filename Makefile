# Two commands matter: `make run` (the whole product) and `make test` (every test).
# Both need only Python 3.11+ and make; everything else is installed into .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HTMX_VERSION := 2.0.11
TWILIO_VOICE_SDK_VERSION := 2.18.5
CHARTJS_VERSION := 4.6.1
# The accessibility checker the browser tests inject; kept under tests/, where no page can load it.
AXE_CORE_VERSION := 4.14.1

.PHONY: run test install install-dev vendor bench bench-queue bench-console bench-dashboards bench-soak lint e2e-browser clean

# Installs say one line each; pip shows only errors (`--quiet` twice: no progress, warnings or notices).
PIP_INSTALL := $(BIN)/python -m pip install --quiet --quiet --disable-pip-version-check --root-user-action=ignore

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	@echo "Creating the virtualenv in $(VENV)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PIP_INSTALL) --upgrade pip

RUNTIME_REQUIREMENTS := requirements.txt requirements/base.txt requirements/embedded.txt
DEV_REQUIREMENTS := $(RUNTIME_REQUIREMENTS) requirements-dev.txt requirements/dev.txt

$(VENV)/.runtime-installed: $(RUNTIME_REQUIREMENTS) | $(BIN)/python
	@echo "Installing the product's Python packages into $(VENV) (first start, or after a requirements change)..."
	@$(PIP_INSTALL) -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: $(DEV_REQUIREMENTS) | $(BIN)/python
	@echo "Installing the product's and the tests' Python packages into $(VENV)..."
	@$(PIP_INSTALL) -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

install: $(VENV)/.runtime-installed

install-dev: $(VENV)/.dev-installed

## The whole product: embedded PostgreSQL and Redis, migrations, demo data,
## web on http://127.0.0.1:$(PORT), Celery worker and beat. Ctrl-C stops all.
run: install
	@PORT=$(PORT) $(BIN)/python manage.py run_product

## Every test, against the embedded PostgreSQL (installs Debian's Chromium for the browser tests),
## after the linters: ruff, import-linter and bandit findings fail it.
test: install-dev e2e-browser lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Ingestion benchmark against gunicorn (see bench/README.md for the figures); wrk is Debian's.
## BENCH_ARGS passes flags to any bench target, e.g. BENCH_ARGS="--duration 20 --process" or "--smoke".
bench: install-dev
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.ingest $(BENCH_ARGS)

## Work-queue benchmark: next_cart for 50 agents on 1M carts against a bare SKIP LOCKED pop, webhook to agent.
bench-queue: install-dev
	$(BIN)/python -m bench.work_queue $(BENCH_ARGS)

## Call-console benchmark: cart screen and step partials for 50 agents on 1M carts, SQL queries per screen.
bench-console: install-dev
	$(BIN)/python -m bench.console $(BENCH_ARGS)

## Dashboards benchmark: the 30/60/90-day dashboard and the live view for 8 supervisors on 1M carts, 5M attempts.
bench-dashboards: install-dev
	$(BIN)/python -m bench.dashboards $(BENCH_ARGS)

## Soak: the running product for 120 s, 50 agents working the queue over HTTP while stores send 100 webhooks/s.
bench-soak: install-dev
	$(BIN)/python -m bench.soak $(BENCH_ARGS)

## ruff, import-linter's layers contract (pyproject.toml: one dependency direction between the apps), mypy on core,
## the contact gate and the work queue ([tool.mypy] in pyproject.toml), bandit.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive .

## Refresh the committed front-end files from npm at pinned versions (needs Node only here).
## axe-core goes to tests/e2e/vendor/: only the browser tests load it, static/ never serves it.
vendor:
	rm -rf var/vendor-tmp && mkdir -p var/vendor-tmp static/vendor/htmx static/vendor/twilio static/vendor/chartjs tests/e2e/vendor
	cd var/vendor-tmp && npm pack --silent htmx.org@$(HTMX_VERSION) @twilio/voice-sdk@$(TWILIO_VOICE_SDK_VERSION) chart.js@$(CHARTJS_VERSION) axe-core@$(AXE_CORE_VERSION)
	tar -xzf var/vendor-tmp/htmx.org-$(HTMX_VERSION).tgz -C var/vendor-tmp package/dist/htmx.min.js package/LICENSE
	cp var/vendor-tmp/package/dist/htmx.min.js static/vendor/htmx/htmx.min.js
	cp var/vendor-tmp/package/LICENSE static/vendor/htmx/LICENSE
	rm -rf var/vendor-tmp/package
	tar -xzf var/vendor-tmp/twilio-voice-sdk-$(TWILIO_VOICE_SDK_VERSION).tgz -C var/vendor-tmp package/dist/twilio.min.js package/LICENSE.md
	cp var/vendor-tmp/package/dist/twilio.min.js static/vendor/twilio/twilio.min.js
	cp var/vendor-tmp/package/LICENSE.md static/vendor/twilio/LICENSE.md
	rm -rf var/vendor-tmp/package
	tar -xzf var/vendor-tmp/chart.js-$(CHARTJS_VERSION).tgz -C var/vendor-tmp package/dist/chart.umd.min.js package/LICENSE.md
	cp var/vendor-tmp/package/dist/chart.umd.min.js static/vendor/chartjs/chart.umd.min.js
	cp var/vendor-tmp/package/LICENSE.md static/vendor/chartjs/LICENSE.md
	tar -xzf var/vendor-tmp/axe-core-$(AXE_CORE_VERSION).tgz -C var/vendor-tmp package/axe.min.js package/LICENSE
	cp var/vendor-tmp/package/axe.min.js tests/e2e/vendor/axe.min.js
	cp var/vendor-tmp/package/LICENSE tests/e2e/vendor/LICENSE
	rm -rf var/vendor-tmp/package
	printf 'htmx.org %s\n@twilio/voice-sdk %s\nchart.js %s\n' $(HTMX_VERSION) $(TWILIO_VOICE_SDK_VERSION) $(CHARTJS_VERSION) > static/vendor/VERSIONS
	printf 'axe-core %s (tests/e2e/vendor/axe.min.js, loaded by the browser tests only)\n' $(AXE_CORE_VERSION) >> static/vendor/VERSIONS
	rm -rf var/vendor-tmp

## Debian's Chromium for the end-to-end tests (never a downloaded browser).
e2e-browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium missing: run 'sudo apt-get install chromium' for the browser tests"; fi; }

clean:
	rm -rf $(VENV)
