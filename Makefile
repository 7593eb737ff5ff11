# Two commands: `make run` and `make test`. Everything else is set up on demand.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: setup run test lint bench frontend clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

frontend:
	@if [ -f frontend/package.json ]; then \
		cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build; \
	else \
		mkdir -p frontend/dist && cp frontend/placeholder/index.html frontend/dist/index.html; \
	fi

setup: $(STAMP) frontend

run: setup
	$(PY) -m local.stack

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: setup lint
	$(PY) -m pytest

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) frontend/dist frontend/node_modules build .pytest_cache
