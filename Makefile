# Two commands for a fresh machine: `make demo` and `make test`.
# Each sets up what it needs (Debian packages, a venv, the model weights) first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
APT_PACKAGES := ffmpeg libsndfile1 fluidsynth fluid-soundfont-gm festival festvox-kallpc16k \
                rubberband-cli sox chromium redis-server
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-deps venv models lint test demo bench clean

setup: system-deps venv models

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

models: venv
	$(BIN)/musicmixer models fetch

# Lint and type-check first (settings in pyproject.toml): a finding fails `make test`, and CI.
lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: setup lint
	$(BIN)/python -m pytest -q

demo: setup
	$(BIN)/python -m musicmixer.demo

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build demo-out .pytest_cache .mypy_cache .ruff_cache
