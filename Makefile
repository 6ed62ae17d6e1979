# The two set-up commands: `make run` and `make test`. Everything else is a helper of theirs.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= data/cockpit.duckdb
PORT ?= 8501

.PHONY: run test lint bench demo clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

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

test: lint
	$(BIN)/python -m pytest -q -rs -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench

demo: $(STAMP)
	$(BIN)/python data/demo/generate.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache tests/artifacts
