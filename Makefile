# Two commands for a new user: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-postgres lint format bench demo-code simulate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,postgres,redis]"
	touch $(STAMP)

# The demo's port; links and QR codes in its e-mails and PDFs point there (SITE_URL).
PORT ?= 8000
DEMO_ENV := DEBUG=1 SITE_URL=http://127.0.0.1:$(PORT)

## make demo [PORT=8123]: install, build a fresh demo database, run the web server and a task worker.
demo: $(STAMP)
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
	$(DEMO_ENV) $(BIN)/python manage.py migrate --verbosity 0
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEMO_ENV) $(BIN)/python manage.py seed_receipts_demo
	$(DEMO_ENV) $(BIN)/python manage.py seed_sponsorships_demo
	$(DEMO_ENV) $(BIN)/python manage.py seed_impact_demo
	$(DEMO_ENV) $(BIN)/python manage.py seed_books_demo
	@echo "Starting the task worker and the web server on http://127.0.0.1:$(PORT)/ (Ctrl-C stops both)"
	$(DEMO_ENV) $(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## make simulate: while `make demo` runs, play a signed Stripe story into its webhook endpoint.
simulate: $(STAMP)
	$(DEMO_ENV) $(BIN)/python manage.py stripe_simulate

## make demo-code: the current second-factor code of the demo staff accounts.
demo-code: $(STAMP)
	@$(BIN)/python manage.py demo_code $(or $(EMAIL),finance@example.org)

## make test: the whole suite on SQLite, then on PostgreSQL when one answers on 127.0.0.1:5432.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run --verbosity 0
	$(BIN)/pytest
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres; \
	else echo "No PostgreSQL on 127.0.0.1:5432: skipped the PostgreSQL run."; fi

test-postgres: $(STAMP)
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice $(BIN)/pytest --create-db

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

format:
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/import_gifts.py
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm media staticfiles
