# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JS_TESTS := $(wildcard tests/js/*.test.mjs)

.PHONY: run test test-fast install install-test vendor lint typecheck test-python test-python-fast test-js test-e2e bench clean translations

# `make run HTTPS=1`: HTTPS on this machine's LAN address with a local certificate authority,
# so phones can open the scanner and the wallet (README, "Phones need HTTPS").
run: install vendor
	$(BIN)/poctix run --demo $(if $(filter 1 yes true,$(HTTPS)),--https)

test: install-test vendor lint typecheck test-python test-js test-e2e

# The quick loop while working: everything but the tests marked `slow` (fault, fuzz, many
# hosts) and the browser suite. `make test` still runs them all.
test-fast: install-test vendor lint typecheck test-python-fast test-js

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "POCtix needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Browser libraries come from npm (locked in package-lock.json) and are copied next to the PWA,
# so the scanner and the wallet never load code from a CDN and work offline.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# The files to copy are listed once, in package.json's "vendor" map (the Dockerfile runs the same
# script); the service worker's precache list is made from pwa/ by the server.
pwa/vendor/.stamp: node_modules/.package-lock.json scripts/vendor.mjs
	node scripts/vendor.mjs
	@touch $@

vendor: pwa/vendor/.stamp

# tsc checks the PWA's JSDoc types (tsconfig.json); it reads the copied libraries in pwa/vendor/.
lint: install-test vendor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	node_modules/.bin/tsc -p tsconfig.json

typecheck: install-test
	$(BIN)/mypy

test-python: install-test
	$(BIN)/pytest tests

test-python-fast: install-test
	$(BIN)/pytest tests -m "not slow"

test-js: install-test vendor
	@test -n "$(JS_TESTS)" || { echo "no JavaScript tests found in tests/js"; exit 1; }
	node --test $(JS_TESTS)

test-e2e: install-test vendor
	@command -v chromium >/dev/null || test -n "$$CHROMIUM_PATH" || $(BIN)/playwright install chromium
	$(BIN)/pytest e2e

bench: install-test vendor
	@echo "See bench/README.md for each benchmark's command."

clean:
	rm -rf $(VENV) node_modules pwa/vendor .pytest_cache .mypy_cache .ruff_cache

# After wrapping a new string in `_()`: re-extract messages.pot and merge it into each .po; then
# translate the new (empty or fuzzy) entries; tests/test_i18n_catalogues.py fails until then.
# The app reads the .po files at start (api/i18n/catalogues.py): nothing is compiled.
translations: install
	$(BIN)/pybabel extract -F translations/babel.cfg -k _ -k gettext -k ngettext:1,2 \
		--no-location --sort-output --omit-header -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --width 100
