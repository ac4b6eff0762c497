# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORTAL := $(VENV)/bin/portal
CATALOGS := $(shell find webapp/translations -name messages.po 2>/dev/null)

.PHONY: setup run test test-fast bench translations extract-messages clean lock

setup: $(VENV)/.installed static/vendor/.installed translations
	@mkdir -p -m 700 instance

# Python packages: the direct ones pinned in pyproject.toml, everything they pull in by constraints.txt.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# Rebuild constraints.txt after changing a pin in pyproject.toml (needs the package registry).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	{ head -2 constraints.txt; .lock-venv/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv

# Front-end libraries come pinned from the npm registry through package-lock.json.
static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	touch $@

translations: $(VENV)/.installed
	@for po in $(CATALOGS); do \
		$(VENV)/bin/pybabel -q compile -i $$po -o $${po%.po}.mo || exit 1; \
	done

run: setup
	$(PORTAL) init
	$(PORTAL) demo
	$(PORTAL) serve --host 127.0.0.1 --port 8000

test: setup
	$(PY) -m pytest -q -n 2 --dist loadfile

test-fast: setup
	$(PY) -m pytest -q -x -m "not browser"

bench: setup
	$(PY) -m tests.bench.run
	$(PY) -m tests.bench.records_list
	$(PY) -m tests.bench.audit_search

clean:
	rm -rf $(VENV) node_modules static/vendor
