"""The GPU recipes' own vLLM settings on the real engine (its CPU build): every `recipes/**/grpo/*.yaml` with
`use_vllm: true` trains 2 steps on the demo's SFT model with only the model, data, lengths, batch sizes, GPU-only
precision and `vllm_enable_sleep_mode: false` (vLLM's CPU platform has no sleep mode) overridden, so an engine
setting or combination that vLLM or TRL rejects fails here. Recipes that differ only in the reward run once: the
reward is trained by the transformers-backed tests, the engine sees none of it."""

import json
from pathlib import Path

import pytest
import yaml

from efficient_reasoning.length_rewards import LENGTH_REWARDS
from tests import vllm_cpu
from tests.test_vllm_training import IN_SYNC, logp_gaps

REPO = Path(__file__).resolve().parents[1]
VLLM_RECIPES = [p for p in sorted(REPO.glob("recipes/**/grpo/*.yaml")) if yaml.safe_load(p.read_text())["use_vllm"]]
# what the engine never sees: the reward (and how answers are read), the budgets stated in prompts, the names
REWARD_KEYS = {"length_reward", "answer_extraction", "target_length_min", "target_length_max",
               "target_length_template", "output_dir", "run_name", "hub_model_id"}  # fmt: skip
REWARD_KEYS |= {f for r in LENGTH_REWARDS.values() for f in r.parameters.values()}
OVERRIDES = [
    "--question_column", "problem", "--answer_column", "answer", "--prompt_template", "{question}",
    "--max_completion_length", "48", "--vllm_max_model_length", "512", "--vllm_enable_sleep_mode", "false",
    "--per_device_train_batch_size", "8", "--gradient_accumulation_steps", "1", "--generation_batch_size", "8",
    "--max_steps", "2", "--bf16", "false", "--fp16", "false", "--report_to", "none", "--push_to_hub", "false",
    "--save_strategy", "no", "--logging_steps", "1",
]  # fmt: skip


def length_overrides(recipe: Path) -> list[str]:
    """The reward's own lengths cut to fit the 48-token completions (a budget at or above the limit is refused)."""
    config = yaml.safe_load(recipe.read_text())
    cut = {"truncation_budget": ["--truncation_budget", "32"], "laser_targets": ["--laser_targets", "16", "24", "32"]}
    return [arg for key, args in cut.items() if key in config for arg in args]


def engine_settings(path: Path) -> str:
    return json.dumps(
        {k: v for k, v in yaml.safe_load(path.read_text()).items() if k not in REWARD_KEYS}, sort_keys=True
    )


def representatives() -> list[Path]:
    """One recipe per distinct setting of everything but the reward."""
    groups: dict[str, Path] = {}
    for path in VLLM_RECIPES:
        groups.setdefault(engine_settings(path), path)
    return list(groups.values())


def test_the_grouping_keeps_every_engine_setting():
    chosen = representatives()
    assert len(VLLM_RECIPES) >= 10 and 3 <= len(chosen) < len(VLLM_RECIPES)
    names = {str(p.relative_to(REPO / "recipes")) for p in chosen}
    assert {"DeepSeek-R1-Distill-Qwen-1.5B/grpo/config.yaml", "DeepSeek-R1-Distill-Qwen-1.5B/grpo/config_lora_t4.yaml",
            "DeepSeek-R1-Distill-Qwen-7B/grpo/config.yaml"} <= names  # fmt: skip
    for path in VLLM_RECIPES:  # each recipe is its group's representative but for reward keys
        assert any(engine_settings(path) == engine_settings(p) for p in chosen)


@pytest.mark.slow
@pytest.mark.skipif(not vllm_cpu.available(), reason=vllm_cpu.MISSING)
@pytest.mark.parametrize("recipe", representatives(), ids=lambda p: str(p.relative_to(REPO / "recipes")))
def test_recipe_trains_with_its_vllm_settings(quick_demo, vllm_host, tmp_path, recipe):
    demo, _ = quick_demo
    vllm_host.run(
        "efficient_reasoning.grpo", "--config", str(recipe), "--model_name_or_path", str(demo / "sft"),
        "--output_dir", str(tmp_path), "--dataset_name", str(demo / "data" / "train.jsonl"), *OVERRIDES,
        *length_overrides(recipe),
    )  # fmt: skip
    state = json.loads((tmp_path / "trainer_state.json").read_text())
    gaps = logp_gaps(tmp_path)
    assert state["global_step"] == 2 and len(gaps) == 2 and max(gaps) < IN_SYNC, gaps
