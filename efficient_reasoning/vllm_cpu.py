"""vLLM's CPU build in colocated training: keep each linear layer's plain weight, so that TRL's weight sync lands.

vLLM's CPU backend prepacks every linear layer's weight after loading and drops the original
(`UnquantizedLinearMethod.process_weights_after_loading` calls `dispatch_cpu_unquantized_gemm(layer,
remove_weight=True)`; the LM head is packed too, in `vocab_parallel_embedding.py`). TRL's colocated weight sync
(`model.load_weights` after every optimizer step) then fails with `'Parameter' object has no attribute
'weight_loader'`. `keep_plain_weights` makes every such layer keep its weight and multiply with `F.linear`, so
reloads land (in bfloat16, vLLM's default on a CPU that has it, about as fast as the packed kernels). GPUs never
take this path.
"""

from __future__ import annotations


def is_cpu_platform() -> bool:
    """Whether vLLM runs on the CPU here (its CPU build); False when vLLM is not installed."""
    try:
        from vllm.platforms import current_platform
    except ImportError:
        return False
    return current_platform.is_cpu()


def keep_plain_weights() -> None:
    """Make vLLM's CPU linear layers multiply with their plain weight (idempotent)."""
    import torch.nn.functional as F
    from vllm.model_executor.layers import utils

    def plain(layer, remove_weight: bool) -> None:
        layer.cpu_linear = lambda x, weight, bias=None: F.linear(x, weight, bias)

    # both callers import the name from `utils` at call time, so one assignment covers them
    utils.dispatch_cpu_unquantized_gemm = plain


def keep_freed_memory() -> None:
    """Let glibc keep the large blocks a training step frees instead of returning them to the OS (Linux only).

    The CPU engine binds the process's memory to its NUMA node (`init_cpu_memory_env`, MEMBIND), under which every
    fresh page is slow to fault in; with glibc's defaults each step's activations and logits (hundreds of MB) are
    mapped, faulted in and unmapped again, which made the optimizer step of a 135M model about 1.6 times slower."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to tune
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 2**31 - 1)
    mallopt(m_trim_threshold, 2**31 - 1)
    mallopt(m_top_pad, 2**30)


def check_cpu_engine_supports(model: str, option: str, other: str) -> None:
    """Fail in one line, before an engine starts, when vLLM's CPU build cannot run `model`: its attention kernels
    take a few head sizes only (a model with another dies minutes into its start with `EngineDeadError`). `other`:
    what to use instead. A model whose config cannot be read here (a Hub id offline) is left to the engine."""
    if not is_cpu_platform():
        return
    from transformers import AutoConfig
    from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend

    from .cli import SettingError

    try:
        config = AutoConfig.from_pretrained(model)
    except (OSError, ValueError):
        return
    config = getattr(config, "text_config", config)
    head_size = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    supported = CPUAttentionBackend.get_supported_head_sizes()
    if head_size not in supported:
        raise SettingError(
            f"{option} {model}: vLLM's CPU build cannot run its attention head size {head_size} (it takes "
            f"{', '.join(map(str, supported))}); {other}"
        )
