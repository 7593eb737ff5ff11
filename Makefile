# Two commands: `make run` and `make test`. Everything else is set up on demand.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: setup run reset test lint bench frontend browser clean audit

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
	$(PY) -m mypy --strict chalicelib

# Browser tests drive Debian's Chromium (never `playwright install`: it cannot download here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# One pytest worker per core; a test file stays on one worker (its module-scoped stack or package
# build is made once).
TEST_WORKERS ?= auto
test: setup lint browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

bench: setup
	$(PY) -m bench

# Locust headless against a local stack of its own (free ports, temporary data) for LOAD_SECONDS
# (default 60), then the exactly-once checks; exits 1 if any fails (load/__main__.py).
LOAD_STAMP := $(VENV)/.load-installed-$(shell sha1sum requirements-load.txt | cut -c1-12)
$(LOAD_STAMP): requirements-load.txt $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-load.txt
	rm -f $(VENV)/.load-installed-*
	touch $(LOAD_STAMP)

.PHONY: load
load: $(STAMP) $(LOAD_STAMP)
	$(PY) -m load

# Dependency and code audit (advisory databases change daily, so not part of `make test`).
# Every step runs; the target fails if any of them found something or could not check.
AUDIT_VENV := .venv-audit
AUDIT_STAMP := $(AUDIT_VENV)/.installed-$(shell sha1sum requirements-audit.txt | cut -c1-12)
$(AUDIT_STAMP): requirements-audit.txt
	test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-audit.txt
	rm -f $(AUDIT_VENV)/.installed-*
	touch $(AUDIT_STAMP)

audit: setup $(AUDIT_STAMP)
	@status=0; \
	echo "== pip-audit: the installed runtime and dev dependencies"; \
	$(AUDIT_VENV)/bin/pip-audit --strict --path $(VENV)/lib/python3.11/site-packages || status=1; \
	echo "== npm audit --omit=dev (frontend)"; \
	(cd frontend && npm audit --omit=dev) || status=1; \
	echo "== bandit chalicelib/"; \
	$(AUDIT_VENV)/bin/bandit -q -r chalicelib || status=1; \
	exit $$status
# The frontend builds its API types from a committed copy of the OpenAPI document: refresh both
# after an API change (tests/unit/test_openapi_snapshot.py says when).
.PHONY: openapi-snapshot
openapi-snapshot: $(STAMP)
	$(PY) -m local.openapi_snapshot
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run gen:api

clean:
	rm -rf $(VENV) $(AUDIT_VENV) frontend/dist frontend/node_modules build .pytest_cache

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
