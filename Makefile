# Crest: `make run` for the app, `make test` for the whole suite.
# Both set everything up on a fresh machine (virtualenv, packages, database).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_CONCURRENCY ?= 2
STAMP := $(VENV)/.installed

.PHONY: run test serve bench install browser gettext messages clean

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
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian's gettext: compilemessages (and makemessages) run its msgfmt.
gettext:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  echo "Installing Debian's gettext for the translations"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq gettext >/dev/null; }

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
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: export DJANGO_DEBUG = 1
test: $(STAMP) browser messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# gunicorn's settings (logs without secrets, start-up checks) are in
# project/gunicorn.conf.py.
serve: export DJANGO_DEBUG = 0
serve: $(STAMP) messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn -c project/gunicorn.conf.py project.wsgi --bind 0.0.0.0:$(PORT) --workers $(WEB_CONCURRENCY)

bench: $(STAMP) browser messages
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
