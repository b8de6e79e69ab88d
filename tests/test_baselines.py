"""The SFT and DPO baselines end to end on the tiny model: sft.py, rejection sampling, dpo.py, evaluation."""

import json
from pathlib import Path

import pytest
import yaml
from datasets import load_from_disk

from efficient_reasoning import dpo, evaluate, rejection_sampling, sft
from efficient_reasoning.rejection_sampling import select_pairs

REPO = Path(__file__).resolve().parents[1]


def recipe(tmp_path: Path, tiny: Path, name: str, **overrides) -> Path:
    config = yaml.safe_load((REPO / "recipes" / "tiny" / f"{name}.yaml").read_text())
    config.update(model_name_or_path=str(tiny / "model"), dataset_name=str(tiny / f"{name}.jsonl"))
    config.update(output_dir=str(tmp_path / name), **overrides)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def train(module, path: Path) -> None:
    module.main(*module.parse(["--config", str(path)]), recipe=str(path))


@pytest.mark.parametrize("module", [sft, dpo], ids=["sft", "dpo"])
def test_tiny_recipe_trains_saves_and_reloads(tmp_path, tiny, module):
    from transformers import AutoModelForCausalLM

    name = module.__name__.rsplit(".", 1)[1]
    train(module, recipe(tmp_path, tiny, name))
    out = tmp_path / name
    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.num_hidden_layers == 2
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 4 and (out / "checkpoint-4").is_dir()
    assert "baseline" in (out / "README.md").read_text()


def test_missing_columns_fail_before_the_model_loads(tmp_path, tiny):
    path = recipe(tmp_path, tiny, "dpo", dataset_name=str(tiny / "sft.jsonl"), model_name_or_path="no/such-model")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['chosen', 'rejected'\]"):
        train(dpo, path)


def test_rejection_sampling_to_baselines(tmp_path, tiny):
    # a model that writes boxed answers: a short SFT on the worked answers of the same prompts
    train(sft, recipe(tmp_path, tiny, "sft", max_steps=40, learning_rate=3e-3))
    model, out = tmp_path / "sft", tmp_path / "rs"
    args = [
        "--model", str(model), "--backend", "transformers", "--dataset_name", str(tiny / "arithmetic.jsonl"),
        "--limit", "24", "--num_samples", "4", "--max_tokens", "40", "--temperature", "1.0",
        "--output_dir", str(out), "--batch_size", "24",
    ]  # fmt: skip
    report = rejection_sampling.main(args)
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 24 * 4
    assert sum("\\boxed{" in s["completion"] for s in samples) > 48  # the format was learned
    chosen, pairs = select_pairs(samples)
    sft_rows, dpo_rows = load_from_disk(str(out / "sft")), load_from_disk(str(out / "dpo"))
    assert report == {"prompts": 24, "sft_rows": len(chosen), "dpo_pairs": len(pairs)}
    assert len(sft_rows) == len(chosen) and len(dpo_rows) == len(pairs)
    eos = "<|im_end|>"
    for row in sft_rows:
        assert row["prompt"].endswith("<|im_start|>assistant\n") and row["completion"].endswith(eos)
        assert row["num_tokens"] == min(
            s["num_tokens"] for s in samples if s["correct"] and s["completion"] + eos == row["completion"]
        )
    # rerunning generates nothing new
    assert rejection_sampling.main(args) == report
    assert len((out / "samples.jsonl").read_text().splitlines()) == 24 * 4
    # the same folder with other settings or other prompts is refused, naming what changed
    assert json.loads((out / "run.json").read_text())["dataset_name"] == str(tiny / "arithmetic.jsonl")
    with pytest.raises(ValueError, match="temperature"):
        rejection_sampling.main([*args, "--temperature", "0.5"])
    other_prompts = tmp_path / "other.jsonl"
    other_prompts.write_text((tiny / "arithmetic.jsonl").read_text())
    with pytest.raises(ValueError, match="dataset_name"):
        rejection_sampling.main([*args, "--dataset_name", str(other_prompts)])

    # DPO on the pairs when there are some, else on the tiny pairs; then the evaluation command on the result
    data = out / "dpo" if len(dpo_rows) else tiny / "dpo.jsonl"
    train(dpo, recipe(tmp_path, tiny, "dpo", model_name_or_path=str(model), dataset_name=str(data), max_steps=2))
    result = evaluate.main(
        ["--model", str(tmp_path / "dpo"), "--backend", "transformers", "--benchmarks", "gsm8k",
         "--data_file", f"gsm8k={_gsm8k_file(tmp_path)}", "--max_tokens", "16", "--output_dir", str(tmp_path / "eval")]
    )  # fmt: skip
    assert result["gsm8k"]["num_samples"] == 3


def _gsm8k_file(tmp_path: Path) -> Path:
    path = tmp_path / "gsm8k.jsonl"
    rows = [{"question": f"What is {i} + 1?", "answer": f"{i} + 1 = {i + 1}\n#### {i + 1}"} for i in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
