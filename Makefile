# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TRANSLATIONS := tracker/translations
PO := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
BOOTSTRAP_VERSION := 5.3.9
ECHARTS_VERSION := 6.1.0
HOST ?= 127.0.0.1
PORT ?= 5000

export FLASK_APP := tracker

.PHONY: run test install translations messages migrate seed bench bench-counter bench-reports clean vendor

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Compiled catalogs are build output, never committed.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(MO)

# Re-extract the strings after changing the interface, then translate the new ones in the .po files.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

migrate: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask certification load-standards

seed: migrate
	$(BIN)/flask seed-demo --if-empty

# The web server and one job consumer together, as the Procfile lists them (honcho).
run: seed
	PATH="$(abspath $(BIN)):$$PATH" HOST=$(HOST) $(BIN)/honcho start --procfile Procfile --port $(PORT)

test: install translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install translations
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache $(MO)

# Refresh tracker/static/vendor/ from the npm registry (never a CDN: offices run on intranets).
vendor:
	rm -rf .vendor-tmp && mkdir .vendor-tmp
	cd .vendor-tmp && npm pack --silent bootstrap@$(BOOTSTRAP_VERSION) echarts@$(ECHARTS_VERSION) >/dev/null
	cd .vendor-tmp && mkdir b e && tar xzf bootstrap-$(BOOTSTRAP_VERSION).tgz -C b && tar xzf echarts-$(ECHARTS_VERSION).tgz -C e
	cp .vendor-tmp/b/package/dist/css/bootstrap.min.css .vendor-tmp/b/package/dist/js/bootstrap.bundle.min.js .vendor-tmp/b/package/LICENSE tracker/static/vendor/bootstrap/
	cp .vendor-tmp/e/package/dist/echarts.min.js .vendor-tmp/e/package/LICENSE tracker/static/vendor/echarts/
	rm -rf .vendor-tmp

# Issue 11: bookings over HTTP (gunicorn, 4 workers) and the counter's day at 3,000,000 appointments, on
# SQLite and PostgreSQL (bench/README.md, "The certificate counter under load"). About 35 minutes.
bench-counter: install translations
	$(BIN)/python bench/counter.py

# Issue 12: the campaign reports at national scale (200,000 firms, 3,000,000 appointments) over HTTP (gunicorn,
# 4 workers), on SQLite and PostgreSQL (bench/README.md, "Campaign reports at national scale"). The data sets
# are built once (about 10 minutes per database) and cached. Options: make bench-reports ARGS="--engine sqlite
# --requests 20" (also --scale, --keys, --all-listings, --load-only, --rebuild, --readme).
bench-reports: install translations
	$(BIN)/python bench/reports.py $(ARGS)
