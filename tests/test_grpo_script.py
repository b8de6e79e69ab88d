"""The training script end to end on the tiny model, and its input checks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from efficient_reasoning import grpo
from efficient_reasoning.cli import SettingError

REPO = Path(__file__).resolve().parents[1]
TINY_RECIPE = REPO / "recipes" / "tiny" / "grpo.yaml"


def recipe(tmp_path, tiny, **overrides) -> Path:
    config = yaml.safe_load(TINY_RECIPE.read_text())
    config.update(
        model_name_or_path=str(tiny / "model"),
        dataset_name=str(tiny / "arithmetic.jsonl"),
        output_dir=str(tmp_path / "run-alpha{alpha}"),
    )
    config.update(overrides)
    config = {key: value for key, value in config.items() if value is not None}  # None: drop the recipe's key
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_main(argv):
    script_args, training_args, model_args = grpo.parse(argv)
    grpo.main(script_args, training_args, model_args, recipe=argv[1])


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"lenght_penalty_alpha": 0.1}, ValueError, "lenght_penalty_alpha"),
        ({"length_penalty_alpha": -0.1}, ValueError, "length_penalty_alpha must lie in"),
        ({"advantage_estimator": "ppo"}, ValueError, "advantage_estimator"),
        ({"num_generations": 1, "per_device_train_batch_size": 1}, ValueError, "num_generations must be >= 2"),
        ({"verifier_timeout": 0}, ValueError, "verifier_timeout"),
        ({"answer_extraction": "last"}, ValueError, "answer_extraction must be one of"),
    ],
)
def test_bad_recipe_fails_at_parse_time(tmp_path, tiny, overrides, error, message):
    with pytest.raises(error, match=message):
        grpo.parse(["--config", str(recipe(tmp_path, tiny, **overrides))])


def test_bad_cli_override_fails(tmp_path, tiny):
    with pytest.raises(SettingError, match="advantage-estimator: invalid choice: 'ppo'"):
        grpo.parse(["--config", str(recipe(tmp_path, tiny)), "--advantage_estimator", "ppo"])


@pytest.mark.parametrize(
    ("write", "overrides", "message"),
    [
        ('{"question": "q", "answer": "1"}\n', {}, r"missing column\(s\) \['problem'\]"),
        ("", {}, "empty"),
        ('{"problem": "q", "answer": null}\n', {}, r"empty 'problem' or 'answer', e.g. rows \[0\]"),
        ('{"problem": "q", "answer": "1"}\n', {"answer_column": "gold"}, r"missing column\(s\) \['gold'\]"),
    ],
)
def test_bad_dataset_fails_before_the_model_loads(tmp_path, tiny, write, overrides, message):
    data = tmp_path / "bad.jsonl"
    data.write_text(write)
    # a model path that does not exist: the dataset error must come first
    path = recipe(tmp_path, tiny, dataset_name=str(data), model_name_or_path=str(tmp_path / "no-model"), **overrides)
    with pytest.raises(Exception, match=message):
        run_main(["--config", str(path)])


def test_train_save_resume(tmp_path, tiny):
    path = recipe(tmp_path, tiny, max_steps=2, save_steps=2, length_penalty_alpha=0.2)
    cmd = [sys.executable, "-m", "efficient_reasoning.grpo", "--config", str(path)]
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert first.returncode == 0, first.stderr[-3000:]
    out = tmp_path / "run-alpha0.2"  # {alpha} filled in
    assert (out / "checkpoint-2").is_dir() and (out / "model.safetensors").exists()
    card = (out / "README.md").read_text()
    assert "length_penalty_alpha: `0.2`" in card and str(path) in card and "advantage_estimator: `rloo`" in card
    # the usage snippet loads the saved model (not pushed: its folder), and the title names it
    assert f'model="{out.resolve()}"' in card and "None" not in card.split("## Training procedure")[0]
    # the quick start asks a question of the trained kind, in the run's prompt; the launch is stated
    assert (
        "time machine" not in card and "How many pens does he have?" in card and "- launch: `NO, 1 process(es)" in card
    )

    second = subprocess.run(cmd + ["--max_steps", "4"], capture_output=True, text=True, cwd=REPO)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"Resuming from {out / 'checkpoint-2'}" in second.stderr
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    steps = [entry["step"] for entry in state["log_history"] if "loss" in entry]
    assert steps == [1, 2, 3, 4]  # steps 1-2 from the first run, 3-4 after resuming
    logged = state["log_history"][-1]
    for key in ("efficiency/accuracy", "efficiency/tokens_all", "efficiency/truncated_frac", "efficiency/reward"):
        assert key in logged
    assert logged["efficiency/alpha"] == 0.2

    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.num_hidden_layers == 2
