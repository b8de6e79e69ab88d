"""The trainer with each length reward, and target-length control, on the tiny model (one process)."""

import json

import pytest
import torch

from efficient_reasoning import (
    kimi_length_reward,
    l1_max_reward,
    laser_reward,
    rloo_advantage,
    shortest_correct_reward,
)
from efficient_reasoning.configs import EfficientReasoningConfig
from efficient_reasoning.data import load_any, to_prompts
from efficient_reasoning.target_length import add_target_lengths, target_errors, with_budget
from tests.distributed_run import RecordingTrainer
from tests.test_grpo_script import recipe, run_main


def config(tmp_path, **kwargs) -> EfficientReasoningConfig:
    return EfficientReasoningConfig(
        output_dir=str(tmp_path / "out"),
        num_generations=4,
        per_device_train_batch_size=8,
        max_completion_length=16,
        max_steps=1,
        use_cpu=True,
        bf16=False,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        seed=0,
        verifier_num_workers=0,
        **kwargs,
    )


def train_one_step(tiny, args, dataset):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny / "model")
    model = AutoModelForCausalLM.from_pretrained(tiny / "model")
    args.generation_kwargs = {"sequence_bias": [[[tokenizer.eos_token_id], 3.0]]}  # finished and truncated both occur
    trainer = RecordingTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    trainer.train()
    return trainer


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"length_reward": "kimi", "kimi_weight": 0.5}, lambda c, n, t: kimi_length_reward(c, n, weight=0.5)),
        (
            {"length_reward": "shortest_correct", "shorter_alpha": 2.0, "shorter_beta": 0.05},
            lambda c, n, t: shortest_correct_reward(c, n, alpha=2.0, beta=0.05),
        ),
        (
            {"length_reward": "l1_max", "l1_alpha": 0.05, "l1_delta": 0.5, "target_length_min": 4,
             "target_length_max": 12},
            lambda c, n, t: l1_max_reward(c, n, t, alpha=0.05, delta=0.5),
        ),
    ],
)  # fmt: skip
def test_trainer_applies_the_selected_reward_per_group(tmp_path, tiny, settings, expected):
    args = config(tmp_path, **settings)
    dataset = to_prompts(load_any(str(tiny / "arithmetic.jsonl")), "problem", "answer")
    if args.target_length_min is not None:
        dataset = add_target_lengths(dataset, args.target_length_min, args.target_length_max)
    trainer = train_one_step(tiny, args, dataset)
    scores, record = trainer.last_group_scores, trainer.records[-1]
    # correctness is the recording trainer's even-length rule; recompute the reward from what was generated
    lengths = torch.tensor([len(ids) for ids in record["completion_ids"]], dtype=torch.float32)
    assert torch.equal(scores["lengths"], lengths)
    correct = scores["correct"].view(-1, 4)
    targets = scores.get("target_lengths")
    if args.target_length_min is not None:
        for prompt, target in zip(record["prompts"], targets.tolist()):
            assert prompt.endswith(f"\n\nThink for {int(target)} tokens.") and 4 <= target <= 12
        targets = targets.view(-1, 4)
    else:
        assert targets is None
    want = expected(correct, lengths.view(-1, 4), targets).view(-1)
    assert torch.allclose(scores["rewards"], want)
    assert correct.sum() > 0 and (correct == 0).any()  # both kinds occurred, so the check is not vacuous


def test_batch_scaled_advantages_with_laser_d(tmp_path, tiny):
    """`scale_rewards: batch` (the DLER recipe): the RLOO advantages over the std of the whole batch's rewards."""
    args = config(tmp_path, length_reward="laser", laser_targets=[4, 8, 12], scale_rewards="batch")
    trainer = train_one_step(tiny, args, to_prompts(load_any(str(tiny / "arithmetic.jsonl")), "problem", "answer"))
    scores = trainer.last_group_scores
    correct, lengths = scores["correct"].view(-1, 4), scores["lengths"].view(-1, 4)
    assert torch.allclose(scores["rewards"], laser_reward(correct, lengths, [4, 8, 12]).view(-1))
    rewards = scores["rewards"]
    want = rloo_advantage(rewards.view(-1, 4)).view(-1) / (rewards.std() + 1e-4)
    assert rewards.std() > 0 and torch.allclose(scores["advantages"], want)


def test_reward_against_a_budget_needs_the_column(tmp_path, tiny):
    args = config(tmp_path, length_reward="l1_exact", target_length_min=4, target_length_max=8)
    dataset = to_prompts(load_any(str(tiny / "arithmetic.jsonl")), "problem", "answer")
    with pytest.raises(ValueError, match="needs a `target_length` column in train_dataset"):
        train_one_step(tiny, args, dataset)


def test_budget_in_the_prompt_is_seeded_and_in_range(tiny):
    dataset = to_prompts(load_any(str(tiny / "arithmetic.jsonl")), "problem", "answer")
    first = add_target_lengths(dataset, 100, 4000, seed=3)
    again = add_target_lengths(dataset, 100, 4000, seed=3)
    assert first["target_length"] == again["target_length"]
    assert all(100 <= n <= 4000 for n in first["target_length"]) and len(set(first["target_length"])) > 1
    row, original = first[0], dataset[0]
    assert (
        row["prompt"][-1]["content"]
        == original["prompt"][-1]["content"] + f"\n\nThink for {row['target_length']} tokens."
    )
    custom = add_target_lengths(dataset, 50, 50, template="Use at most {target_length} tokens. {prompt}")
    assert custom[0]["prompt"][-1]["content"].startswith("Use at most 50 tokens. ")
    with pytest.raises(ValueError, match="target_length_template must contain '\\{target_length\\}'"):
        with_budget("q", 5, "{prompt} think")


def test_target_errors_hand_computed():
    errors = target_errors([90, 220, 100], [100, 200, 100])
    assert errors == pytest.approx({"mean_tokens": 136.6666667, "mean_abs_error": 10.0, "mean_rel_error": 0.0666667})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"length_reward": "linear"}, "length_reward must be one of"),
        ({"length_reward": "truncation"}, "needs truncation_budget"),
        ({"length_reward": "l1_exact"}, "set target_length_min/max"),
        ({"kimi_weight": -0.5}, "kimi_weight must be >= 0"),
        ({"l1_delta": 1.5}, r"l1_delta must be in \[0, 1\]"),
        (
            {"overlong_cache_length": 100},
            r"overlong_cache_length \(100\) must be <= overlong_max_length \(24, "
            r"max_completion_length, which it defaults to\)",
        ),
        ({"max_completion_length": 0}, r"^max_completion_length must be >= 1 token, got 0$"),  # not a setting from it
        ({"target_length_min": 10}, "set both target_length_min and target_length_max"),
        ({"target_length_min": 10, "target_length_max": 5}, "target_length_min <= target_length_max"),
        ({"laser_targets": [10, 20]}, "laser_targets must be 1 or 3 lengths"),
        ({"length_reward": "laser"}, r"laser_targets \[4096\] reach max_completion_length=24"),
        ({"length_reward": "truncation", "truncation_budget": 24}, "truncation_budget=24 reaches max_completion"),
        ({"laser_bonus": -1.0}, "laser_bonus must be >= 0"),
        ({"length_reward": "dot", "dot_alpha": 3.0, "num_generations": 8}, "dot_alpha=3.0 never truncates"),
        ({"scale_rewards": "group"}, "scale_rewards must be 'none' or 'batch'"),
    ],
)
def test_bad_reward_settings_fail_at_parse_time(tmp_path, tiny, overrides, message):
    from efficient_reasoning import grpo

    with pytest.raises(ValueError, match=message):
        grpo.parse(["--config", str(recipe(tmp_path, tiny, **overrides))])


def test_script_with_another_reward_names_it_everywhere(tmp_path, tiny):
    path = recipe(
        tmp_path, tiny, max_steps=1, save_strategy="no", length_reward="l1_max", l1_alpha=0.01,
        length_penalty_alpha=None, target_length_min=8, target_length_max=16,
        output_dir=str(tmp_path / "run-{reward}"), run_name="tiny-{length_reward}-a{l1_alpha}",
    )  # fmt: skip
    run_main(["--config", str(path)])
    out = tmp_path / "run-l1_max-alpha0.01-delta0.5"
    card = (out / "README.md").read_text()
    assert "length_reward: `l1_max`" in card and "l1_alpha: `0.01`" in card and "l1_delta: `0.5`" in card
    assert "target_length_range: `[8, 16]`" in card
    method = json.loads((out / "efficient_reasoning.json").read_text())
    assert method["length_reward"] == "l1_max" and method["target_length_range"] == [8, 16]
    assert method["scale_rewards"] == "none" and "scale_rewards: `none`" in card
    logged = json.loads((out / "trainer_state.json").read_text())["log_history"][0]
    assert 8 <= logged["efficiency/target_tokens"] <= 16 and logged["efficiency/target_abs_error"] >= 0
    assert "efficiency/target_rel_error" in logged


def test_training_dynamics_label_names_the_reward():
    from efficient_reasoning.dynamics import run_label

    kimi = {"length_reward": "kimi", "kimi_weight": 0.5, "length_penalty_alpha": 0.0, "advantage_estimator": "rloo"}
    assert run_label(kimi, "run") == "kimi (kimi_weight=0.5), rloo"
    laser = {"length_reward": "laser", "laser_targets": [60, 90, 130], "laser_bonus": 0.5}
    assert run_label(laser, "run") == "laser (laser_targets=60_90_130, laser_bonus=0.5)"
    assert run_label({"length_reward": "paper", "length_penalty_alpha": 0.2}, "run") == "α=0.2"


def test_precision_defaults_on_a_cpu(tmp_path):
    """No bf16/fp16 given: float32 on a machine with no GPU (TRL's bf16 default would stop at start), bf16 autocast
    with `use_cpu` where the CPU has it; `use_cpu` itself is left as given (setting it under an accelerate or
    DeepSpeed launch changes how the processes are set up: ZeRO-3 then builds its models for one process)."""
    from efficient_reasoning.configs import cpu_has_bf16

    if torch.accelerator.is_available():
        pytest.skip("the CPU defaults apply without an accelerator")
    plain = EfficientReasoningConfig(output_dir=str(tmp_path), report_to="none")
    assert (plain.bf16, plain.use_cpu) == (False, False)
    cpu = EfficientReasoningConfig(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    assert (cpu.bf16, cpu.use_cpu) == (cpu_has_bf16(), True)
    given = EfficientReasoningConfig(output_dir=str(tmp_path), report_to="none", use_cpu=True, bf16=False)
    assert given.bf16 is False
