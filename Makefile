# Two commands set everything up on a fresh machine:
#   make demo   analyse a real marathon from sample_runs/ and write an HTML race report
#   make test   lint and run every test (installs headless Chromium for the browser tests)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_RUN := sample_runs/TwinCitiesMarathon2014.tcx
# The optional compiled XML scanner: pip builds it; rebuilt here whenever its C source changes
# (a build older than the source is not used: finishline.io.xml_compiled).
XMLSCAN_SRC := src/finishline/io/_xmlscan.c
XMLSCAN := $(VENV)/.xmlscan-built

.PHONY: demo test lint browser clean fuzz

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml setup.py
	$(BIN)/python -m pip install -q -e '.[dev,bench,cache,distributed]'
	touch $(STAMP)

# Optional: without a C compiler the build warns and the readers use numpy.
$(XMLSCAN): $(STAMP) $(XMLSCAN_SRC)
	$(BIN)/python -c "import setuptools" 2>/dev/null || $(BIN)/python -m pip install -q setuptools
	$(BIN)/python setup.py -q build_ext --inplace 2>&1 | grep -v _BetaConfiguration || true
	@$(BIN)/python -c "from finishline.io.xml_compiled import scanner_status; print('XML scanner:', scanner_status())"
	touch $(XMLSCAN)

demo: $(XMLSCAN)
	$(BIN)/finishline summary $(DEMO_RUN)
	$(BIN)/finishline splits $(DEMO_RUN)
	$(BIN)/finishline analyze $(DEMO_RUN) --json out/race.json --html out/race_report.html
	@echo "race report written: $(CURDIR)/out/race_report.html (open it in a browser; works offline)"

# Debian's chromium for the browser tests (no browser download; needs root or sudo).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(XMLSCAN)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

test: lint browser
	$(BIN)/python -m pytest -q

# Mutation fuzzing of the whole CLI: FUZZ_N mutants of real files (../shared/corpus and
# sample_runs/), each through `summary --json` and `analyze --json` under a 2 GiB cap and 30 s;
# prints the outcome table and the failing cases with their reproducers.
FUZZ_N ?= 1500
FUZZ_SEED ?= 1
fuzz: $(XMLSCAN)
	$(BIN)/python tests/fuzz/run.py -n $(FUZZ_N) --seed $(FUZZ_SEED) --workers 2

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache build src/finishline/io/_xmlscan*.so
