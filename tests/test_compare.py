"""The length-reward comparison on the demo's task, on tiny settings: every method trains from the same SFT model
with its own reward, and the report has one row and one point per method."""

import json
import shutil

import pytest

from efficient_reasoning.demo import compare, run
from efficient_reasoning.demo.run import DemoSettings

TINY = DemoSettings(num_train=160, num_heldout=8, hidden_size=32, num_layers=1, sft_epochs=1, rl_steps=1,
                    alphas=(), ablation_alpha=None, eval_k=1, max_tokens=24)  # fmt: skip


SMALL = ["--per_device_train_batch_size", "16", "--max_completion_length", "24"]  # RL arguments for TINY


@pytest.fixture
def tiny_demo(tmp_path):
    """A demo folder with TINY data; the untrained initial model stands in for the SFT start (the demo's own test
    covers SFT)."""
    run.prepare_data(tmp_path, TINY)
    run.build_initial_model(tmp_path, TINY)
    shutil.copytree(tmp_path / "init", tmp_path / "sft")
    return tmp_path


@pytest.mark.slow
def test_comparison_on_tiny_settings(tiny_demo):
    tmp_path = tiny_demo
    results = compare.compare(tmp_path, TINY, ["paper", "kimi"], rl_args=SMALL)
    assert list(results) == ["SFT start", "paper", "kimi"]
    for name, reward in (("paper", "paper"), ("kimi", "kimi")):
        method = json.loads((tmp_path / f"compare-{name}" / "efficient_reasoning.json").read_text())
        assert method["length_reward"] == reward
        state = json.loads((tmp_path / f"compare-{name}" / "trainer_state.json").read_text())
        assert state["global_step"] == 1 and state["log_history"][0]["efficiency/reward"] is not None
    assert json.loads((tmp_path / "compare-kimi" / "efficient_reasoning.json").read_text())["kimi_weight"] == 1.0
    table = (tmp_path / "compare" / "table.md").read_text()
    assert "| paper (length_penalty_alpha=0.4) |" in table and "| kimi (kimi_weight=1) |" in table
    summary = json.loads((tmp_path / "compare" / "summary.json").read_text())
    assert summary["results"]["kimi"]["num_samples"] == 8 and summary["methods"]["kimi"]["length_reward"] == "kimi"
    assert (tmp_path / "compare" / "accuracy_vs_tokens.png").read_bytes()[:4] == b"\x89PNG"


def test_unknown_method_fails_before_any_stage(tmp_path):
    with pytest.raises(ValueError, match=r"unknown method\(s\) \['linear'\]"):
        compare.compare(tmp_path, TINY, ["paper", "linear"])
    assert not (tmp_path / "data").exists()


@pytest.mark.slow
def test_target_length_control_on_tiny_settings(tiny_demo):
    tmp_path = tiny_demo
    summaries = compare.target_length_control(tmp_path, TINY, [8, 16], rl_args=SMALL)
    method = json.loads((tmp_path / "compare-l1_exact" / "efficient_reasoning.json").read_text())
    assert method["length_reward"] == "l1_exact" and method["l1_alpha"] == 0.01
    state = json.loads((tmp_path / "compare-l1_exact" / "trainer_state.json").read_text())
    assert state["log_history"][0]["efficiency/target_tokens"] >= 20  # budgets drawn from [20, 140]
    assert list(summaries) == ["SFT start", "l1_exact"]
    for label, rows in summaries.items():
        assert [r["target_tokens"] for r in rows] == [8, 16]
        folder = tmp_path / "compare" / "targets" / label.replace(" ", "_") / "target-16"
        assert "Think for 16 tokens." in json.loads((folder / "run.json").read_text())["prompt_template"]
        samples = [json.loads(line) for line in (folder / "heldout" / "samples.jsonl").read_text().splitlines()]
        used = sum(s["num_tokens"] for s in samples) / len(samples)
        assert rows[1]["mean_tokens"] == pytest.approx(used)
    table = (tmp_path / "compare" / "target_length.md").read_text().splitlines()
    assert len(table) == 2 + 4 and table[-1].startswith("| l1_exact (l1_alpha=0.01, target_length_min=20")
    assert (tmp_path / "compare" / "targets_heldout.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("name", sorted(compare.METHODS))
def test_every_method_parses_with_the_demo_recipe(name):
    from efficient_reasoning import grpo

    argv = ["--config", str(run.RECIPES / "grpo.yaml"), "--output_dir", "unused"]
    for key, value in compare.method_params(name).items():
        argv += [f"--{key}", *value.split()]
    _, args, _ = grpo.parse(argv)
    assert args.length_reward == compare.METHODS[name]["length_reward"]
    if name == "laser_d":
        assert args.laser_targets == [60, 90, 130]
    if name == "dler":
        assert (args.scale_rewards, args.epsilon_high, args.truncation_budget) == ("batch", 0.28, 80)
    if name == "dot":  # alpha low enough to cut with the demo's samples per prompt
        assert args.dot_alpha < (args.num_generations - 1) / args.num_generations**0.5
