# Crest: `make run` for the app, `make test` for the whole suite.
# Both set everything up on a fresh machine (virtualenv, packages, database).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_CONCURRENCY ?= 2
STAMP := $(VENV)/.installed
# Lighthouse 12 and ESLint (package.json): `make lighthouse`, its median-run test in
# `make test`, and `make lint`
NODE_STAMP := node_modules/.installed
# apt-get as root, or through sudo; waits for another apt-get to finish.
APT_INSTALL = SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600

.PHONY: run test unit serve bench lighthouse loadtest lint backup restore install browser wrk nginx pg-client age gettext messages clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; it never
# downloads a browser of its own).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(APT_INSTALL) chromium >/dev/null; }

# Debian's wrk drives `make bench` from a second process on loopback.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the benchmark"; \
	  $(APT_INSTALL) wrk >/dev/null; }

# Debian's nginx for the two-servers-behind-a-TLS-proxy tests (bench/topology.py);
# it runs unprivileged from a temp folder, never as the system service.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing Debian's nginx for the proxy tests"; \
	  $(APT_INSTALL) nginx >/dev/null; }

# pg_dump and pg_restore, for backups of a PostgreSQL database (the backup
# tests in `make test` use a throwaway PostgreSQL database too).
PG_CLIENT := $(if $(filter postgres%,$(DATABASE_URL)),pg-client)
pg-client:
	@command -v pg_dump >/dev/null 2>&1 || { \
	  echo "Installing Debian's postgresql-client for pg_dump/pg_restore"; \
	  $(APT_INSTALL) postgresql-client >/dev/null; }

# Debian's age: backups are encrypted to the operator's age recipients
# (CREST_BACKUP_RECIPIENTS; docs/backups.md), and the backup tests use it.
age:
	@command -v age >/dev/null 2>&1 || { \
	  echo "Installing Debian's age for encrypted backups"; \
	  $(APT_INSTALL) age >/dev/null; }

# Debian's gettext: compilemessages (and makemessages) run its msgfmt.
gettext:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  echo "Installing Debian's gettext for the translations"; \
	  $(APT_INSTALL) gettext >/dev/null; }

# The Spanish catalogs (locale/*/LC_MESSAGES/*.po) compiled to the .mo files
# Django reads; the .mo files are build output, not in git.
messages: export DJANGO_DEBUG ?= 1
messages: $(STAMP) gettext
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# Debug is off unless set (production is the default); these two turn it on
# for themselves.
run: export DJANGO_DEBUG = 1
run: $(STAMP) messages
	$(BIN)/python manage.py migrate --noinput
	@if $(BIN)/python manage.py help seed_demo >/dev/null 2>&1; then $(BIN)/python manage.py seed_demo; fi
	@# Reminders: a VAPID key for this checkout (made once, kept in .vapid-dev-key,
	@# not in git), and send_reminders every minute beside the server, stopped with it.
	@test -s .vapid-dev-key || $(BIN)/python manage.py vapid_keys --private-only > .vapid-dev-key
	CREST_VAPID_PRIVATE_KEY="$${CREST_VAPID_PRIVATE_KEY:-$$(cat .vapid-dev-key)}"; export CREST_VAPID_PRIVATE_KEY; \
	$(BIN)/python manage.py send_reminders --every 60 & sender=$$!; \
	trap 'kill $$sender 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The suite in TEST_WORKERS processes (pytest-xdist), a test file to each at a
# time: much of a browser test is waiting, so two processes keep both cores
# busy. TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2
PYTEST_PARALLEL = $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)

test: export DJANGO_DEBUG = 1
test: $(STAMP) browser nginx pg-client age messages $(NODE_STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The unit tests alone, for a quick run while working: no browser, no real
# servers (the `browser` and `deploy` markers, docs/testing.md).
unit: export DJANGO_DEBUG = 1
unit: $(STAMP) messages
	$(BIN)/python -m pytest -m "not browser and not deploy" $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# ruff for Python (pyproject.toml), ESLint for JavaScript (eslint.config.js).
lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	node_modules/.bin/eslint .

# gunicorn's settings (logs without secrets, start-up checks) are in
# ops/gunicorn.conf.py.
serve: export DJANGO_DEBUG = 0
serve: $(STAMP) messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py check --deploy --fail-level ERROR
	$(BIN)/gunicorn -c ops/gunicorn.conf.py project.wsgi --bind 0.0.0.0:$(PORT) --workers $(WEB_CONCURRENCY)

bench: $(STAMP) browser wrk messages
	$(BIN)/python -m bench

# Lighthouse 12, pinned in package.json, against a production server on
# localhost: fails under 100 in any category (bench/lighthouse.py).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

lighthouse: $(STAMP) browser $(NODE_STAMP)
	$(BIN)/python -m bench.lighthouse

# Many simulated patients syncing through nginx and two gunicorn servers while
# faults are injected; `make loadtest LOADTEST_ARGS="--clients 50 --duration 10"`.
loadtest: $(STAMP) nginx
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

# A consistent copy of the database in DATABASE_URL (safe while serving) into
# backups/, or into FILE=... ; `make restore FILE=...` puts one back (FORCE=1
# to replace a database that is not empty).
backup: $(STAMP) $(PG_CLIENT) age
	$(BIN)/python manage.py backup $(if $(FILE),--output "$(FILE)")

restore: $(STAMP) $(PG_CLIENT) age
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/crest-....age IDENTITY=key.txt [FORCE=1]"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)" $(if $(IDENTITY),--identity "$(IDENTITY)") $(if $(filter 1,$(FORCE)),--force)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules
