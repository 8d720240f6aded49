# Every target creates .venv from pyproject.toml when it is missing (or older than pyproject.toml).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROFILE ?= fast
SEEDS ?= 3
RESULTS ?= results

.PHONY: venv test bench figures experiments check check-quick clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m lamsim bench

experiments: $(STAMP)
	$(PY) -m experiments all --profile $(PROFILE) --seeds $(SEEDS) --out $(RESULTS)

figures: experiments
	$(PY) figures/fig3.py --results $(RESULTS)
	$(PY) figures/fig4.py --results $(RESULTS)
	@if [ -f figures/table1.py ]; then $(PY) figures/table1.py --results $(RESULTS); fi

check: $(STAMP)
	$(PY) -m lamsim.claims --results $(RESULTS)

check-quick: $(STAMP)
	$(PY) -m lamsim.claims --quick

clean-venv:
	rm -rf $(VENV)
