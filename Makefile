# Vigie: `make run` (the embedded default with demo data) and `make test` (the whole suite).
# Only python3 is needed: the virtual environment is created and installed on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_SIZE ?= full

.PHONY: venv run serve setup test lint bench bench-smoke messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

setup: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_roles
	$(BIN)/python manage.py load_demo

# The links Vigie sends (alert emails, calendar feeds) point where this server listens, unless VIGIE_SITE_URL
# says otherwise; a server listening on every interface (HOST=0.0.0.0) is linked at 127.0.0.1. The web, worker
# and beat processes all get it from the environment (honcho reads no .env: it would override it), and it is
# written to var/site-url, which the embedded settings read (config/settings/local.py), so that a command run
# by hand beside `make run` (manage.py run_sweeps) links to the same port.
LINK_HOST = $(if $(filter 0.0.0.0 :: [::],$(HOST)),127.0.0.1,$(HOST))
SITE_URL ?= $(or $(VIGIE_SITE_URL),http://$(LINK_HOST):$(PORT))
VAR_DIR ?= $(or $(VIGIE_VAR_DIR),var)

run: setup
	@mkdir -p $(VAR_DIR) && echo "$(SITE_URL)" > $(VAR_DIR)/site-url
	@$(BIN)/python manage.py demo_logins --url $(SITE_URL)/admin/
	HOST=$(HOST) PORT=$(PORT) VIGIE_SITE_URL=$(SITE_URL) $(BIN)/honcho --env /dev/null -f Procfile.dev start

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The linter, the formatter's check and the type checker, as configured in pyproject.toml.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: venv
	$(BIN)/python -m bench --size $(BENCH_SIZE)

bench-smoke: venv
	$(BIN)/python -m bench --size smoke

messages: venv
	cd $(CURDIR) && $(BIN)/python manage.py makemessages -l fr --ignore=.venv --ignore=var --ignore=bench
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/broker var/results var/cache
