# Two commands for people: `make run` and `make test`. The rest are for developers and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
export PYTHONUNBUFFERED := 1

.PHONY: install run test reliability lint format messages bench bench-compare check-deploy clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	mkdir -p var/broker var/broker-processed var/broker-control
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Service desk: http://127.0.0.1:$(PORT)/   (web + Celery worker + beat; Ctrl-C stops all)"
	@echo ""
	PORT=$(PORT) $(BIN)/honcho -f servicedesk/Procfile -d . start

test: install
	$(BIN)/python -m pytest

# Issue 13's figures: the reliability and security suites on the real PostgreSQL and Redis (as in
# CI), written to tests/reliability/RESULTS.md. Fails, after writing the file, if a test fails.
RELIABILITY_DB ?= postgres://postgres@127.0.0.1:5432/test
RELIABILITY_REDIS ?= redis://127.0.0.1:6379/0
reliability: install
	mkdir -p var && rm -f var/reliability.jsonl
	CI=true DATABASE_URL=$(RELIABILITY_DB) REDIS_URL=$(RELIABILITY_REDIS) \
	  RELIABILITY_FIGURES=$(CURDIR)/var/reliability.jsonl RELIABILITY_ROUNDS=500 \
	  $(BIN)/python -m pytest -p no:cacheprovider tests/reliability tests/security tests/securitylog; \
	  status=$$?; outcome=$$([ $$status -eq 0 ] && echo passed || echo FAILED); \
	  $(BIN)/python -m tests.reliability.results var/reliability.jsonl $$outcome > tests/reliability/RESULTS.md; \
	  exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Needs GNU gettext (apt-get install gettext). The compiled .mo files are committed so `make run`
# works on a machine without it.
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-location --ignore ".venv/*" --ignore "var/*"
	$(BIN)/python manage.py makemessages -d djangojs -l zh_Hans --no-location --ignore ".venv/*" --ignore "var/*"
	$(BIN)/python manage.py compilemessages --ignore ".venv/*"

check-deploy: install
	DJANGO_SETTINGS_MODULE=servicedesk.settings.production SECRET_KEY=$$($(BIN)/python -c 'import secrets;print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=desk.example.com SITE_URL=https://desk.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

# Load benchmark (needs wrk and PostgreSQL on 127.0.0.1:5432; see bench/README.md). BENCH_ARGS
# passes options, e.g. make bench BENCH_ARGS="--scales 100000 --duration 3 --runs 1 --reuse".
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Side by side with django-helpdesk 2.6.1 (../shared/peer-bench) at 100k, alternating runs, both
# databases in the peer's private PostgreSQL cluster on 127.0.0.1:55432. Needs root (initdb as
# the postgres user); the cluster keeps running: `.venv/bin/python bench/peer.py stop`.
bench-compare: install
	$(BIN)/python bench/compare.py $(BENCH_ARGS)

clean:
	rm -rf var $(VENV)
