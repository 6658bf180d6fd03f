# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup lint bench bench-scale screenshots clean

run: setup ## Set up (venv, migrations, admin login) and serve the shop on http://127.0.0.1:8000/ (PORT=, SIMULATOR_PORT=, SIMULATOR_URL=)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_admin
	$(PY) manage.py runshop 127.0.0.1:$(or $(PORT),8000) \
		$(if $(SIMULATOR_PORT),--simulator-port $(SIMULATOR_PORT)) \
		$(if $(SIMULATOR_URL),--simulator-url $(SIMULATOR_URL))

test: setup ## Run the whole suite (SQLite, or PostgreSQL when DATABASE_URL is set)
	$(PY) -m pytest

screenshots: setup ## Save the README's screenshots (shop, checkout, My Orders, product editor, product page) into docs/
	STORE_SCREENSHOTS=docs $(PY) -m pytest -q -m screenshots tests/browser/test_screenshots.py

bench: setup ## Shop page req/s as a ratio to a bare Django view (wrk), queries per page, checkout time
	$(PY) -m bench $(BENCH_ARGS)

bench-scale: setup ## Admin pages, search, exports and dashboard at 10k and ORDERS orders (PostgreSQL)
	$(PY) -m bench scale --orders $(or $(ORDERS),100000) $(BENCH_ARGS)

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles
