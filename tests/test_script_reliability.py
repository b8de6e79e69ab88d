"""The training scripts' behaviour on reruns, mistakes and edge cases: finished runs, `--config=`, Hub access, model
paths, unscorable golds, truncation, finished-ness, the logged reward and the model card."""

import json
import logging
from pathlib import Path

import pytest
import yaml
from datasets import Dataset

from efficient_reasoning import dpo, grpo, sft
from efficient_reasoning.rewards import CorrectnessReward

REPO = Path(__file__).resolve().parents[1]


def recipe(tmp_path: Path, tiny: Path, name: str, **overrides) -> Path:
    config = yaml.safe_load((REPO / "recipes" / "tiny" / f"{name}.yaml").read_text())
    data = tiny / ("arithmetic.jsonl" if name == "grpo" else f"{name}.jsonl")
    config.update(model_name_or_path=str(tiny / "model"), dataset_name=str(data), output_dir=str(tmp_path / name))
    config.update(overrides)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def train(module, argv: list[str]) -> None:
    module.main(*module.parse(argv), recipe=argv[0].split("=", 1)[1] if argv[0].startswith("--config=") else argv[1])


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("module", [grpo, sft, dpo], ids=["grpo", "sft", "dpo"])
def test_rerunning_a_finished_run_changes_nothing(tmp_path, tiny, module, caplog):
    name = module.__name__.rsplit(".", 1)[1]
    path = recipe(tmp_path, tiny, name, max_steps=2, save_steps=2, max_completion_length=8) if name == "grpo" else (
        recipe(tmp_path, tiny, name, max_steps=2, save_steps=2))  # fmt: skip
    train(module, ["--config", str(path)])
    out = tmp_path / name
    before = snapshot(out)
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 2
    recorded = json.loads((out / "run.json").read_text())  # the settings that define the run, recorded at start
    assert recorded["method"] == name and recorded["seed"] == 42 and recorded["model"] == str(tiny / "model")
    with caplog.at_level(logging.WARNING):
        train(module, [f"--config={path}"])  # also checks that `--config=PATH` is read
    assert "already finished 2 of max_steps=2; nothing to do" in caplog.text
    assert snapshot(out) == before


def test_config_with_equals_sign_is_read(tmp_path, tiny):
    path = recipe(tmp_path, tiny, "grpo", length_penalty_alpha=0.3)
    script_args, training_args, _ = grpo.parse([f"--config={path}"])
    assert training_args.length_penalty_alpha == 0.3 and script_args.dataset_name == str(tiny / "arithmetic.jsonl")
    from efficient_reasoning.utils import recipe_path

    assert recipe_path([f"--config={path}"]) == str(path) == recipe_path(["--config", str(path)])


def test_missing_local_model_path_is_named(tmp_path, tiny):
    path = recipe(tmp_path, tiny, "sft", model_name_or_path=str(tmp_path / "models" / "nope"))
    with pytest.raises(FileNotFoundError, match=r"^model_name_or_path: local model folder .*nope' does not exist$"):
        train(sft, ["--config", str(path)])


@pytest.mark.parametrize("module", [grpo, sft], ids=["grpo", "sft"])
def test_push_to_hub_without_access_fails_before_the_model_loads(tmp_path, tiny, module, monkeypatch):
    import huggingface_hub

    def offline(self, token=None, **kwargs):
        raise ConnectionError("Failed to resolve 'huggingface.co'")

    monkeypatch.setattr(huggingface_hub.HfApi, "whoami", offline)
    name = module.__name__.rsplit(".", 1)[1]
    # a model path that does not exist: the Hub error must come first
    path = recipe(tmp_path, tiny, name, push_to_hub=True, hub_model_id="me/x", model_name_or_path="no/such/model")
    with pytest.raises(RuntimeError, match=r"^push_to_hub: cannot reach the Hugging Face Hub .*ConnectionError"):
        train(module, ["--config", str(path)])


def test_unscorable_golds_are_reported_and_dropped(tmp_path, caplog):
    rows = [
        {"problem": "a", "answer": "12"},
        {"problem": "b", "answer": "..."},
        {"problem": "c", "answer": "3"},
        {"problem": "d", "answer": "see figure"},  # prose: math-verify would read it as a product of symbols
    ]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    script_args, _, _ = grpo.parse(["--config", str(REPO / "recipes" / "tiny" / "grpo.yaml"), "--dataset_name",
                                    str(data), "--output_dir", str(tmp_path / "o")])  # fmt: skip
    with caplog.at_level(logging.WARNING):
        dataset = grpo.load_train_dataset(script_args)
    assert dataset["answer"] == ["12", "3"]
    assert (
        "2 of 4 rows have a gold answer that cannot be scored (row 1: '...', row 3: 'see figure'); dropped"
        in caplog.text
    )
    script_args.keep_unscorable_gold = True
    assert len(grpo.load_train_dataset(script_args)) == 4
    with pytest.raises(ValueError, match="no row has a gold answer the verifier can parse"):
        grpo.drop_unscorable_golds(Dataset.from_list([{"answer": "\\text{}"}]), where="x")


def test_finished_and_length_follow_trl():
    # EOS 2, pad 0: generation stopped on a custom stop id 9 (generation_kwargs) and was padded to the batch width
    reward = CorrectnessReward(eos_token_ids=[2], pad_token_id=0)
    ids = [[5, 9, 0, 0], [5, 6, 2], [5, 6, 7, 8]]
    trl_finished = [seq[-1] in [2, 0] for seq in ids]  # GRPOTrainer: `ids[-1] not in eos_and_pad` is truncated
    assert reward.finished(ids) == trl_finished == [True, True, False]
    assert reward.lengths(ids) == [2, 3, 4]  # the padding after the stop id is not generated text
    # a pad token that is the EOS token ends the completion and counts, as TRL's mask keeps the first EOS
    assert CorrectnessReward(eos_token_ids=[2], pad_token_id=2).lengths([[5, 2]]) == [2]


def test_mostly_truncated_warns_naming_the_step_and_the_stop_ids(tmp_path, tiny, caplog):
    path = recipe(tmp_path, tiny, "grpo", max_steps=1, max_completion_length=1, save_strategy="no")
    with caplog.at_level(logging.WARNING):
        train(grpo, ["--config", str(path)])
    # the first step is step 1, as trainer_state.json counts it; the EOS id is named with its token
    assert "step 1: 100% of the completions hit max_completion_length=1 (reward 0) without an EOS token" in caplog.text
    assert "generation stops on 2 '<|im_end|>'" in caplog.text


def test_logged_reward_is_the_penalized_one_and_model_card_states_the_run(tmp_path, tiny, monkeypatch):
    from efficient_reasoning.verifier import Verifier

    # every completion finished and correct: the reward is then 1 - alpha * sigmoid(z), below raw correctness 1
    monkeypatch.setattr(CorrectnessReward, "finished", lambda self, ids: [True] * len(ids))
    monkeypatch.setattr(Verifier, "__call__", lambda self, completions, golds, finished=None: [1.0] * len(golds))
    path = recipe(tmp_path, tiny, "grpo", max_steps=1, max_completion_length=8, save_strategy="no",
                  length_penalty_alpha=0.2)  # fmt: skip
    # a run of alpha 0.1 saved at step 1, continued to step 2 at alpha 0.2 with --allow_settings_change
    train(grpo, ["--config", str(path), "--length_penalty_alpha", "0.1", "--save_strategy", "steps",
                 "--save_steps", "1"])  # fmt: skip
    train(grpo, ["--config", str(path), "--max_steps", "2", "--allow_settings_change", "true"])
    logged = json.loads((tmp_path / "grpo" / "trainer_state.json").read_text())["log_history"][0]
    assert logged["efficiency/accuracy"] == 1.0 and logged["efficiency/reward"] < 1.0
    assert logged["rewards/correctness/mean"] == pytest.approx(logged["efficiency/reward"])  # as documented
    card = (tmp_path / "grpo" / "README.md").read_text()
    assert "[None]" not in card and f"`{tiny / 'model'}` (a local folder)" in card
    assert f"huggingface.co/datasets/{tiny}" not in card  # a local dataset is not a Hub link
    assert f"- dataset: `{tiny / 'arithmetic.jsonl'}`" in card
    assert "- columns: `question 'problem', gold answer 'answer'`" in card
    assert "- prompt template: `Please reason step by step" in card and "- length_penalty_alpha: `0.2`" in card
    assert "- earlier settings of this run: `until step 1: length_penalty_alpha=0.1 (run_history.json)`" in card


def test_resume_skips_a_checkpoint_whose_save_did_not_finish(tmp_path, caplog):
    """A save killed midway leaves `checkpoint-N` without the `trainer_state.json` the Trainer writes last (or with
    a cut one): the resume takes the last complete checkpoint and names each one it skipped."""
    from types import SimpleNamespace

    from efficient_reasoning.utils import last_checkpoint

    run = tmp_path / "run"
    for step in (2, 4, 6, 8):
        (run / f"checkpoint-{step}").mkdir(parents=True)
        (run / f"checkpoint-{step}" / "model.safetensors").write_bytes(b"weights")
    for step in (2, 4):
        (run / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    (run / "checkpoint-6" / "trainer_state.json").write_text('{"global_st')  # cut while written
    args = SimpleNamespace(resume_from_checkpoint=None, output_dir=str(run))
    with caplog.at_level(logging.WARNING, logger="efficient_reasoning.utils"):
        assert last_checkpoint(args) == str(run / "checkpoint-4")
    skipped = [r.getMessage() for r in caplog.records if "Skipping" in r.getMessage()]
    assert len(skipped) == 2 and "checkpoint-8" in skipped[0] and "checkpoint-6" in skipped[1]
    # with no complete checkpoint the run starts over; a checkpoint given by the user is taken as given
    for step in (2, 4):
        (run / f"checkpoint-{step}" / "trainer_state.json").unlink()
    assert last_checkpoint(args) is None
    given = SimpleNamespace(resume_from_checkpoint=str(run / "checkpoint-6"), output_dir=str(run))
    assert last_checkpoint(given) == str(run / "checkpoint-6")
