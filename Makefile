# Edgex on AWS. `make dev` runs the platform locally; `make test` passes every test.
# Both set up what they need (venv, pip, npm, Debian packages) on a fresh machine.

SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
STAMPS := .stamps
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: dev test lint unit integration adversarial infra browser synth bench setup clean

setup: $(STAMPS)/venv $(STAMPS)/apt $(STAMPS)/dashboard

$(STAMPS)/venv: requirements/runtime.txt requirements/dev.txt
	@mkdir -p $(STAMPS)
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --disable-pip-version-check -r requirements/dev.txt
	@touch $@

# Debian packages the tests drive for real: Chromium for the dashboard; dash and
# busybox for the one-liner piped into a shell that is not bash.
$(STAMPS)/apt:
	@mkdir -p $(STAMPS)
	command -v chromium >/dev/null && command -v dash >/dev/null && command -v busybox >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium dash busybox >/dev/null; }
	@touch $@

$(STAMPS)/dashboard: $(shell find dashboard_static -path '*/node_modules' -prune -o -path '*/dist' -prune -o -type f -print 2>/dev/null)
	@mkdir -p $(STAMPS)
	if [ -f dashboard_static/package.json ]; then cd dashboard_static && npm ci --no-audit --no-fund --silent && npm run --silent build; fi
	@touch $@

dev: setup
	$(PY) -m local.server

lint: $(STAMPS)/venv
	.venv/bin/ruff check .

# One target per suite; `make test` runs them all (two workers, suites grouped).
unit: $(STAMPS)/venv
	$(PY) -m pytest tests/unit -q -n 2

integration: $(STAMPS)/venv
	$(PY) -m pytest tests/integration -q -n 2

adversarial: $(STAMPS)/venv
	$(PY) -m pytest tests/adversarial -q -n 2

infra: $(STAMPS)/venv
	$(PY) -m pytest tests/infra -q

browser: setup
	$(PY) -m pytest tests/browser -q

test: setup lint
	$(PY) -m pytest -q -n 2 --dist loadgroup

synth: $(STAMPS)/venv
	$(PY) -m infra.build_assets
	JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(PY) app.py

bench: setup
	$(PY) -m bench.run

clean:
	rm -rf .venv $(STAMPS) cdk.out build .local-state dashboard_static/node_modules dashboard_static/dist
