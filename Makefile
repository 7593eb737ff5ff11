# Two commands: `make run` and `make test`. Everything else is set up on demand.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: setup run reset test lint bench frontend browser clean

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

# The local stack keeps its data in $(LOCAL_DATA_DIR) across restarts (local/persistence.py).
LOCAL_DATA_DIR ?= .local-data

run: setup
	LOCAL_DATA_DIR="$(LOCAL_DATA_DIR)" $(PY) -m local.stack

# Wipe the local stack's data: the next `make run` starts empty and seeds the demo again.
reset:
	rm -rf "$(LOCAL_DATA_DIR)"

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Browser tests drive Debian's Chromium (never `playwright install`: it cannot download here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

test: setup lint browser
	$(PY) -m pytest

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) frontend/dist frontend/node_modules build .pytest_cache

# Deploy to AWS (docs/deploy.md). The template is stage-independent: STAGE matters at deploy.
.PHONY: package deploy destroy
PACKAGE_DIR := build/package

package: $(STAMP)
	$(PY) -m infra.package $(PACKAGE_DIR)

deploy: package frontend
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=<name> [PREFIX=...] (docs/deploy.md)"; exit 2; }
	STAGE="$(STAGE)" PY="$(PY)" infra/deploy.sh

destroy:
	@test -n "$(STAGE)" || { echo "usage: make destroy STAGE=<name> [PURGE_DATA=yes]"; exit 2; }
	STAGE="$(STAGE)" PY="$(PY)" infra/destroy.sh
