# Two commands do everything on a fresh machine with Python 3.11+: `make run`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Developer targets run on the local settings (DEBUG, demo secrets), chosen explicitly: with
# no DJANGO_SETTINGS_MODULE, manage.py, WSGI and Celery use production and refuse demo values.
LOCAL := DJANGO_SETTINGS_MODULE=portal.settings.local

.PHONY: run test install install-dev node-dev migrate demo lint assets messages clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

## axe-core (npm devDependency, package-lock.json) for the browser tests' accessibility
## checks. Without npm the checks are skipped, saying so.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $@; \
	else echo "warning: npm is not installed: the browser tests' accessibility checks (axe-core) will be skipped"; fi

node-dev: node_modules/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(LOCAL) $(PY) manage.py migrate --noinput
	$(LOCAL) $(PY) manage.py createcachetable

demo: migrate
	$(LOCAL) $(PY) manage.py demo_setup

## make run: the portal with demo data, a Celery worker and beat, and the LINE emulator.
run: demo
	$(LOCAL) $(PY) manage.py rundemo

## make test: ruff (lint + format), mypy, import-linter, the migration check, then the whole
## suite (SQLite + embedded broker unless DATABASE_URL / CELERY_BROKER_URL say otherwise).
test: install-dev node-dev lint
	$(PY) manage.py makemigrations --check --dry-run --settings=portal.settings.test
	$(PY) -m pytest $(PYTEST_ARGS)

## make lint: ruff (lint and format), mypy (django-stubs, DRF stubs; strict on services and
## selectors) and the import-linter contracts; part of make test.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-logo --no-cache

## Refresh vendored front-end assets from npm (package-lock.json); the results are committed
## so neither `make run` nor a city-hall PC needs npm or the internet.
assets:
	npm ci --no-audit --no-fund
	mkdir -p static/vendor/digital-go-jp static/vendor/leaflet
	cp node_modules/@digital-go-jp/design-tokens/dist/tokens.css node_modules/@digital-go-jp/design-tokens/LICENSE static/vendor/digital-go-jp/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images node_modules/leaflet/LICENSE static/vendor/leaflet/
	mkdir -p static/vendor/chartjs
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map node_modules/chart.js/LICENSE.md static/vendor/chartjs/

## Compile every .po (root locale/ for templates/ and portal/, and each app's locale/).
messages: install-dev
	$(LOCAL) $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=var

clean:
	rm -rf var
