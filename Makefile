# The two set-up commands: `make run` and `make test`. Everything else is a helper of theirs.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The group edition (DuckLake over PostgreSQL) pins DuckDB 1.5.5 in its own environment.
GVENV := .venv-group
GSTAMP := $(GVENV)/.installed
DB ?= data/cockpit.duckdb
PORT ?= 8501

.PHONY: run test lint bench demo clean group-venv maintain

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

$(GVENV)/bin/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(GVENV)

$(GSTAMP): requirements-group.txt $(GVENV)/bin/python
	$(GVENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-group.txt
	@touch $(GSTAMP)

group-venv: $(GSTAMP)

# Loads the demo exports into an empty store, then serves the dashboard on localhost (demo mode unless sign-in is
# configured: see README, Sign-in and roles).
run: $(STAMP)
	$(BIN)/python -m loaders demo --db $(DB) --if-empty
	COCKPIT_DB=$(DB) $(BIN)/streamlit run serve.py --server.address localhost --server.port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy loaders metrics charts reports auth
	$(BIN)/mypy pages app.py serve.py

# The whole suite, then the store contract against the group store (its own PostgreSQL on a loopback port).
test: lint $(GSTAMP)
	$(BIN)/python -m pytest -q -rs -p no:cacheprovider
	$(GVENV)/bin/python -m pytest -q -rs -p no:cacheprovider grouptests

# Group store upkeep (schedule weekly): compaction, snapshot expiry, old file cleanup. Needs COCKPIT_STORE.
maintain: $(GSTAMP)
	$(GVENV)/bin/python -m loaders maintain

# The pages bench times every page served from the large store in the embedded file and, beside it, in the
# group store (built and served by the group edition's Python; its own PostgreSQL on a loopback port).
bench: $(STAMP) $(GSTAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.pages_bench --group --group-python $(GVENV)/bin/python
	$(GVENV)/bin/python -m bench.group_bench --rows 10000000

demo: $(STAMP)
	$(BIN)/python data/demo/generate.py

clean:
	rm -rf $(VENV) $(GVENV) .mypy_cache .ruff_cache tests/artifacts
