# Edgex on AWS. `make dev` runs the platform locally; `make test` passes every test;
# `make deploy` deploys it (docs/DEPLOY.md). Each sets up what it needs on a fresh
# machine: venv, pip and npm for all of them; Chromium (Debian packages, root) only
# for the targets that drive a browser (browser, test, bench).

SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
STAMPS := .stamps
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: dev test lint unit integration adversarial infra browser synth deploy bootstrap import smoke bench setup clean

# The pinned CDK CLI (infra/cli/package-lock.json) and extra arguments for it,
# e.g. make deploy CDK_ARGS='-c stackName=Edgex-Staging -c alarmEmail=ops@example.com'
CDK := infra/cli/node_modules/.bin/cdk
CDK_ARGS ?=

setup: $(STAMPS)/venv $(STAMPS)/dashboard

$(STAMPS)/venv: requirements/runtime.txt requirements/dev.txt pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --disable-pip-version-check -r requirements/dev.txt
	$(PIP) install -q --disable-pip-version-check --no-deps -e .
	@touch $@

# Debian packages the tests drive for real: Chromium for the dashboard; dash and busybox
# for the one-liner piped into a shell that is not bash. Test-only: neither `make dev`
# nor `make deploy` needs them (nor root).
$(STAMPS)/apt:
	@mkdir -p $(STAMPS)
	command -v chromium >/dev/null && command -v dash >/dev/null && command -v busybox >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium dash busybox >/dev/null; }
	@touch $@

# The dashboard build (dashboard_static/dist) the stack publishes: npm ci + npm run build.
$(STAMPS)/dashboard: $(STAMPS)/venv $(shell find dashboard_static -path '*/node_modules' -prune -o -path '*/dist' -prune -o -type f -print 2>/dev/null)
	@mkdir -p $(STAMPS)
	$(PY) -m infra.build_assets --dashboard
	@touch $@

$(STAMPS)/cdk-cli: infra/cli/package.json infra/cli/package-lock.json
	@mkdir -p $(STAMPS)
	cd infra/cli && npm ci --no-audit --no-fund --silent
	@touch $@

dev: setup
	$(PY) -m local.server

# ruff (lint + formatter) on the whole tree; mypy strict on the domain and the HTTP layer.
lint: $(STAMPS)/venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

# One target per suite; `make test` runs them all (two workers, suites grouped).
unit: $(STAMPS)/venv
	$(PY) -m pytest tests/unit -q -n 2

integration: $(STAMPS)/venv
	$(PY) -m pytest tests/integration -q -n 2

adversarial: $(STAMPS)/venv
	$(PY) -m pytest tests/adversarial -q -n 2

infra: $(STAMPS)/venv
	$(PY) -m pytest tests/infra -q

browser: setup $(STAMPS)/apt
	$(PY) -m pytest tests/browser -q

test: setup $(STAMPS)/apt lint
	$(PY) -m pytest -q -n 2 --dist loadgroup

# What the stack ships is built first: the deps layer (app.py, when its requirements
# changed) and the dashboard (its stamp); then the pinned CLI synthesizes or deploys.
synth: setup $(STAMPS)/cdk-cli
	$(CDK) synth --quiet $(CDK_ARGS)

# Once per account and region, before the first deploy.
bootstrap: setup $(STAMPS)/cdk-cli
	$(CDK) bootstrap $(CDK_ARGS)

deploy: setup $(STAMPS)/cdk-cli
	$(CDK) deploy --all --require-approval broadening --outputs-file cdk.out/outputs.json $(CDK_ARGS)

# Reattach the tables, buckets and user pool a `destroy` retained (docs/DEPLOY.md); then `make deploy`.
import: setup $(STAMPS)/cdk-cli
	$(CDK) import $(CDK_ARGS)

# End-to-end check of a running installation: make smoke URL=https://dxxxx.cloudfront.net
# (admin token: EDGEX_ADMIN_TOKEN or SMOKE_ARGS='--token-command "..."'; none needed locally).
smoke: $(STAMPS)/venv
	@test -n "$(URL)" || { echo "usage: make smoke URL=<PublicUrl or http://127.0.0.1:8787>"; exit 2; }
	$(PY) -m tools.smoke --url "$(URL)" $(SMOKE_ARGS)

bench: setup $(STAMPS)/apt
	$(PY) -m bench.run
	$(PY) -m bench.report --readme

clean:
	rm -rf .venv $(STAMPS) cdk.out build .local-state dashboard_static/node_modules dashboard_static/dist infra/cli/node_modules
