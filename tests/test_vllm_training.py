"""GRPO with vLLM colocated (its CPU build) on the demo's SFT model: the rewards and advantages of every rank are
those of the whole gathered group with vLLM generating, and after every optimizer step the engine samples from the
trained weights, which a run whose weights are never synced fails (the check can fail)."""

import json
from pathlib import Path

import pytest

from tests import vllm_cpu
from tests.test_distributed import check_ranks, launch

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not vllm_cpu.available(), reason=vllm_cpu.MISSING)]
# Mean |log p_vLLM - log p_model| of the sampled tokens: about 5e-4 when the engine holds the trained weights (kernel
# differences), 5e-3 and growing from the second step on when it keeps the initial ones.
IN_SYNC = 2e-3


def logp_gaps(out: Path) -> list[float]:
    """The logged gap of each step of the run in `out`."""
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    key = "sampling/sampling_logp_difference/mean"
    return [h[key] for h in history if key in h]


def grpo(host: vllm_cpu.EngineHost, demo: Path, out: Path, stale: bool = False) -> list[float]:
    """2 steps of the demo recipe on one process, a generation per step; the logged log-probability gap per step."""
    args = [*vllm_cpu.demo_grpo_args(demo, out), "--max_steps", "2", "--per_device_train_batch_size", "32"]
    host.run("efficient_reasoning.grpo", *args, stale=stale)
    return logp_gaps(out)


def test_one_process_samples_from_the_trained_weights(quick_demo, vllm_host, tmp_path):
    demo, _ = quick_demo
    synced = grpo(vllm_host, demo, tmp_path / "synced")
    assert len(synced) == 2 and max(synced) < IN_SYNC, synced
    stale = grpo(vllm_host, demo, tmp_path / "stale", stale=True)
    assert stale[0] < IN_SYNC < stale[1], stale  # the same first step, then the engine falls behind


@pytest.mark.parametrize("config", ["zero2.yaml", "zero3.yaml"])
def test_every_rank_uses_the_whole_group_with_vllm(quick_demo, vllm_host, tmp_path, config):
    demo, _ = quick_demo
    vllm_host.close()  # its engine's threads would take the cores from the 2 ranks (a later command restarts it)
    extra = ["--vllm", "--max_completion_length", "160", "--prompt_template", "{question}", "--alpha", "0.4"]
    ranks = launch(config, demo / "sft", demo / "data" / "train.jsonl", tmp_path, *extra, env=vllm_cpu.env())
    ranks = ranks["rloo:paper"]
    check_ranks(ranks)
    gaps = [step["logp_difference"] for rank in ranks for step in rank]
    assert len(gaps) == 6 and max(gaps) < IN_SYNC, gaps
