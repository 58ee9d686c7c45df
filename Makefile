# One-command set-up: `make demo` and `make test` install everything they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint install chromium clean

demo: install chromium
	$(BIN)/intel demo --data ./intel-data

test: install chromium
	$(BIN)/python -m pytest -n 2 -q

bench: install chromium
	$(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

# Chromium for `render: browser` pages and for the browser tests: Debian's package where
# we are root with apt-get, else Playwright's own download. Skipped when one is present.
chromium: install
	@if $(BIN)/python -m intel.browser_path >/dev/null 2>&1; then \
		echo "chromium: $$($(BIN)/python -m intel.browser_path)"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| { echo "apt-get could not install chromium" >&2; exit 1; }; \
	else \
		$(BIN)/python -m playwright install chromium; \
	fi

clean:
	rm -rf $(VENV) intel-data .pytest_cache
