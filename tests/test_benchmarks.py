"""The benchmark scripts stay runnable: each once with tiny settings (the figures themselves are in
benchmarks/README.md, measured with the default settings)."""

import importlib.util
import json
import math
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["verifier_throughput", "trainer_overhead", "cutoff_baseline", "gpu_memory"])
def test_help(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        load(name).main(["--help"])
    assert exit_.value.code == 0 and "usage" in capsys.readouterr().out


def test_verifier_throughput_tiny(tmp_path):
    cases = tmp_path / "cases.jsonl"
    rows = [("stated", "The final answer is $4$.", "4", 1), ("constants", "\\boxed{1 + \\frac{1}{\\mathrm{e}}}",
            "1 - \\frac{1}{\\mathrm{e}}", 0), ("choice", "The answer is B.", "B", 1)]  # fmt: skip
    cases.write_text(
        "".join(json.dumps(dict(zip(("kind", "completion", "gold", "expected"), r))) + "\n" for r in rows)
    )
    argv = ["--num", "20", "--chars", "300", "--math500", str(tmp_path / "none"), "--cases", str(cases)]
    argv += ["--passes", "2"]
    result = load("verifier_throughput").main(argv)
    assert len(result["project_per_second_passes"]) == len(result["project_normal_per_second_passes"]) == 2
    totals = result["agreement"]["total"]
    assert totals["project"] == [3, 3, 0, 0]  # cases, agreements, false positives, NaN
    assert totals["plain"][0] == 3 and totals["plain"][1] < 3  # plain math-verify misses the choice case
    assert result["completions"] == 20
    assert result["project_per_second"] > 0 and result["plain_per_second"] > 0
    assert result["unscorable"] >= 1  # the power towers run out of time in the project's verifier
    assert math.isclose(result["throughput_ratio"], result["project_per_second"] / result["plain_per_second"])


def test_trainer_overhead_tiny():
    # 2 warm-up steps and 1 timed, one run of each trainer
    result = load("trainer_overhead").main(["--steps", "3", "--completion_length", "8", "--rounds", "1"])
    assert result["trl_median_step_s"] > 0 and result["project_median_step_s"] > 0
    assert result["trl_max_rss_mb"] > 100 and result["project_max_rss_mb"] > 100


def test_cutoff_baseline_tiny():
    result = load("cutoff_baseline").main(["--problems", "4", "--k", "1"])
    assert result["points"] == 6 and result["derived_s"] > 0 and result["regenerated_s"] > 0


def test_gpu_memory_runs_the_trainer_loss_path_on_cpu(tmp_path, tiny):
    module = load("gpu_memory")
    trainer = module.make_trainer(tiny / "model", tmp_path, bf16=False)
    assert trainer.model.is_gradient_checkpointing  # the recipes' setting, measured as such
    assert module.micro_step(trainer, 2, 8)["status"] == "ok"
    rows = module.main(
        ["--arch", "tiny", "--lengths", "16,48", "--batch_sizes", "1,3", "--output", str(tmp_path / "r.json")]
    )
    assert [(r["length"], r["batch_size"]) for r in rows] == [(16, 1), (16, 3), (48, 1), (48, 3)]
    assert all(r["status"] == "ok" and r["seconds"] > 0 and math.isfinite(r["loss"]) for r in rows)
    assert len(json.loads((tmp_path / "r.json").read_text())) == 4


def test_gpu_memory_budget_arithmetic():
    module = load("gpu_memory")
    # 1.5B params, ZeRO-2 over 4 GPUs: 1.5e9 * 12 B / 4 = 4.19 GiB of optimizer state beside a 0.4 vLLM share
    budget = module.recipe_budget({"vllm_gpu_memory_utilization": 0.4}, 1_500_000_000, 80.0, 4, offload=False)
    assert math.isclose(budget, 48.0 - 1.5e9 * 12 / 4 / 2**30)
    assert module.recipe_budget({"vllm_gpu_memory_utilization": 0.3}, 7_000_000_000, 80.0, 8, offload=True) == 56.0


def test_gpu_memory_arches_match_the_published_sizes():
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    module = load("gpu_memory")
    for arch, billions in (("1.5B", 1.78), ("7B", 7.62)):  # parameter counts of the released checkpoints
        with torch.device("meta"):
            model = Qwen2ForCausalLM(Qwen2Config(**module.ARCHS[arch]))
        assert abs(sum(p.numel() for p in model.parameters()) / 1e9 - billions) < 0.01


@pytest.mark.slow
def test_generation_throughput_tiny(quick_demo):
    demo, _ = quick_demo
    # one backend's timing in process (the vLLM generator itself is tested against the engine in test_vllm_engine.py)
    module = load("generation_throughput")
    result = module.sample("transformers", demo, 4, 2)
    assert result["samples"] == 8 and result["samples_per_s"] > 0 and result["tokens_per_s"] > 0
    with pytest.raises(SystemExit, match="no model; run `python -m efficient_reasoning.demo` first"):
        module.main(["--demo", str(demo / "missing")])
