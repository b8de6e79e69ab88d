.PHONY: install test lint format demo tiny

PYTHON ?= python
# torch first, pinned: an unpinned torch (pulled by another package) brings GBs of CUDA wheels.
TORCH ?= torch==2.13.0

install:
	$(PYTHON) -m pip install $(TORCH)
	$(PYTHON) -m pip install -e ".[test]"

test:
	$(PYTHON) -m pytest -q

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

format:
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

tiny:
	$(PYTHON) -m efficient_reasoning.tiny --output_dir data/tiny

# The CPU demo: over-thinking tiny model on 4 difficulty levels, length penalty at alpha 0 / 0.1 / 0.4 and the grpo
# ablation, per-level report.
# DEMO_ARGS="--preset quick" for a shorter run, "--preset long" for a longer one.
demo: install
	$(PYTHON) -m efficient_reasoning.demo $(DEMO_ARGS)
