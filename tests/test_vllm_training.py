"""GRPO with vLLM colocated (its CPU build) on the demo's SFT model: the rewards and advantages of every rank are
those of the whole gathered group with vLLM generating, and after every optimizer step the engine samples from the
trained weights, which a run whose weights are never synced fails (the check can fail)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import vllm_cpu
from tests.test_distributed import check_ranks, launch

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not vllm_cpu.available(), reason=vllm_cpu.MISSING)]
REPO = Path(__file__).resolve().parents[1]
# Mean |log p_vLLM - log p_model| of the sampled tokens: about 5e-4 when the engine holds the trained weights (kernel
# differences), 5e-3 and growing from the second step on when it keeps the initial ones.
IN_SYNC = 2e-3


def grpo(demo: Path, out: Path, *flags: str) -> list[float]:
    """2 steps of the demo recipe on one process, a generation per step; the logged log-probability gap per step."""
    cmd = [
        sys.executable, str(REPO / "tests" / "vllm_cpu.py"), *flags, "-m", "efficient_reasoning.grpo",
        "--config", str(REPO / "recipes" / "demo" / "grpo.yaml"), "--model_name_or_path", str(demo / "sft"),
        "--dataset_name", str(demo / "data" / "train.jsonl"), "--output_dir", str(out), "--use_vllm", "true",
        "--vllm_mode", "colocate", "--vllm_enable_sleep_mode", "false", "--vllm_max_model_length", "512",
        "--max_steps", "2", "--num_iterations", "1", "--per_device_train_batch_size", "32",
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=vllm_cpu.env(), timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-5000:]
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    return [
        h["sampling/sampling_logp_difference/mean"] for h in history if "sampling/sampling_logp_difference/mean" in h
    ]


def test_one_process_samples_from_the_trained_weights(quick_demo, tmp_path):
    demo, _ = quick_demo
    synced = grpo(demo, tmp_path / "synced")
    assert len(synced) == 2 and max(synced) < IN_SYNC, synced
    stale = grpo(demo, tmp_path / "stale", "--never_sync_weights")
    assert stale[0] < IN_SYNC < stale[1], stale  # the same first step, then the engine falls behind


@pytest.mark.parametrize("config", ["zero2.yaml", "zero3.yaml"])
def test_every_rank_uses_the_whole_group_with_vllm(quick_demo, tmp_path, config):
    demo, _ = quick_demo
    extra = ["--vllm", "--max_completion_length", "160", "--prompt_template", "{question}", "--alpha", "0.4"]
    ranks = launch(config, demo / "sft", demo / "data" / "train.jsonl", tmp_path, "rloo", "paper", *extra,
                   env=vllm_cpu.env())  # fmt: skip
    check_ranks(ranks)
    gaps = [step["logp_difference"] for rank in ranks for step in rank]
    assert len(gaps) == 6 and max(gaps) < IN_SYNC, gaps
