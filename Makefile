# Build/test entry points for dataspace_abm (GNU make).
# PYTHON=/path/to/python3.12+ may be set to choose the interpreter for .venv;
# otherwise scripts/find_python.sh auto-detects one (PATH, then pyenv).

VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    := results
PYTEST_ARGS ?=

.PHONY: all venv install run test lint format clean
.DEFAULT_GOAL := test

all: lint test

venv install: $(STAMP)

# The interpreter is looked up only when the venv actually needs (re)building.
# If find_python.sh fails, its message goes to stderr and the recipe aborts.
# An existing .venv is reused only if it is Python >= 3.12; otherwise it is recreated.
$(STAMP): pyproject.toml
	@set -e; \
	if [ -x "$(VPY)" ] && "$(VPY)" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then \
		echo "Reusing $(VENV) ($$("$(VPY)" -V 2>&1))"; \
	else \
		py="$$(bash scripts/find_python.sh)" || { echo "make: cannot create $(VENV): no suitable Python (see message above)" >&2; exit 1; }; \
		echo "Creating $(VENV) with $$py ($$("$$py" -V 2>&1))"; \
		rm -rf "$(VENV)"; \
		"$$py" -m venv "$(VENV)"; \
	fi
	$(VPY) -m pip install -e '.[dev]'
	@touch $@

# The main job: the control-regimes experiment at a size that takes about five minutes on
# two cores (experiments/control_regimes_quick.toml); report in results/control_regimes/.
run: $(STAMP)
	$(VENV)/bin/dataspace-abm experiment experiments/control_regimes_quick.toml \
		--out $(OUT)/control_regimes

test: $(STAMP)
	$(VPY) -m pytest $(PYTEST_ARGS)

# The browser test (tests/test_browser.py) drives Debian's chromium; install it when it is
# missing. CI runs as root on a clean Debian machine; elsewhere the test skips without it.
CHROMIUM := /usr/bin/chromium
test: $(CHROMIUM)
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "make: $@ is missing and cannot be installed here (needs root and apt-get):" \
			"the browser test will be skipped" >&2; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) $(OUT)
