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
	@# Debian's headless shell renders the same DOM for ~40% less CPU than the desktop
	@# chromium: get it where we can (root with apt-get), even if another Chromium is found.
	@if ! $(BIN)/python -m intel.browser_path 2>/dev/null | grep -q headless-shell \
		&& command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq >/dev/null 2>&1; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null 2>&1 \
		|| DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
		|| echo "apt-get could not install chromium-headless-shell nor chromium" >&2; \
	fi
	@if $(BIN)/python -m intel.browser_path >/dev/null 2>&1; then \
		echo "chromium: $$($(BIN)/python -m intel.browser_path)"; \
	else \
		$(BIN)/python -m playwright install chromium; \
	fi

clean:
	rm -rf $(VENV) intel-data .pytest_cache
