# Kampung: `make run` starts the site, `make test` runs everything CI runs.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -q

.DEFAULT_GOAL := help
.PHONY: help run test install install-dev messages makemessages migrate seed lint format clean

help:
	@echo "make run     install, migrate, load demo data, start web + Celery worker + beat on http://127.0.0.1:8000"
	@echo "make test    install dev tools and run every gate CI runs (lint, contracts, migrations, tests)"
	@echo "make format  format the code with ruff"
	@echo "make makemessages  refresh locale/id/LC_MESSAGES/django.po from the code"

$(PY):
	@python=$$(sh scripts/find-python.sh) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)

$(VENV)/.installed: $(PY) requirements.txt
	$(PIP) -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

messages: install
	@$(PY) scripts/compile_messages.py

makemessages: install
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py makemessages -l id \
		--ignore=.venv --ignore=var --no-obsolete

migrate: install
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py migrate --noinput

seed: migrate
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py seed_demo

run: install messages seed
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) scripts/dev.py

test: install-dev messages
	bash scripts/test.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var/cache var/staticfiles var/test-media
