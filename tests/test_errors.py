"""Every command's error path: a mistake the user can fix is one line on stderr, exit code 2, no traceback, and
nothing loaded or written; bugs keep their traceback; Ctrl-C is one line and exit code 130."""

import importlib.util
import json
import os
from pathlib import Path

import pytest
import yaml

from efficient_reasoning import (
    cli,
    data,
    dpo,
    evaluate,
    grpo,
    models,
    plot,
    rejection_sampling,
    sft,
    side_by_side,
    tiny,
)
from efficient_reasoning.cli import SettingError, UsageError, run_command
from efficient_reasoning.demo import cli as demo_cli
from efficient_reasoning.demo import compare as demo_compare
from efficient_reasoning.demo import word_problems

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_model_loads(monkeypatch):
    """Any model or tokenizer load fails the test: every error here must come before one."""
    import transformers

    def refuse(*args, **kwargs):
        raise AssertionError("a model or tokenizer was loaded before the error")

    for cls in (transformers.AutoModelForCausalLM, transformers.AutoTokenizer):
        monkeypatch.setattr(cls, "from_pretrained", refuse)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)


def fails_in_one_line(capsys, main, argv, match: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        run_command(main, [str(a) for a in argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "usage:" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert match in errors[0], errors[0]
    return errors[0]


def jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def files(tmp_path, tiny) -> dict[str, Path]:
    problems = jsonl(tmp_path / "problems.jsonl", [{"problem": f"q{i}", "answer": "7"} for i in range(4)])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem": "q", "answer": "1"}\n{"problem": \n')
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    partial = tmp_path / "runs" / "partial"
    (partial / "checkpoint-2").mkdir(parents=True)
    (partial / "checkpoint-2" / "config.json").write_text("{}")
    evaluated = tmp_path / "results" / "checkpoints"
    (evaluated / "checkpoint-2" / "math500").mkdir(parents=True)
    (evaluated / "checkpoint-2" / "math500" / "metrics.json").write_text('{"avg_tokens": 1, "pass_rate": 1}')
    return {"problems": problems, "bad": bad, "file": a_file, "partial": partial, "evaluated": evaluated,
            "missing": tmp_path / "missing.jsonl", "model": tiny / "model", "out": tmp_path / "out"}  # fmt: skip


def evaluate_args(f, *extra):
    return ["--model", f["model"], "--backend", "transformers", "--benchmarks", "math500", "--data_file",
            f"math500={f['problems']}", "--output_dir", f["out"], *extra]  # fmt: skip


def rs_args(f, *extra):
    return ["--model_name_or_path", f["model"], "--backend", "transformers", "--dataset_name", f["problems"],
            "--output_dir", f["out"], *extra]  # fmt: skip


CASES = {
    # command: [(case id, argv from the files, expected text in the line)]
    "data": (data.main, [
        ("range", lambda f: ["--dataset_name", f["problems"], "--output_dir", f["out"], "--num_prompts", 0],
         "--num_prompts must be >= 1, got 0"),
        ("negative", lambda f: ["--dataset_name", f["problems"], "--output_dir", f["out"], "--num_samples", -5],
         "--num_prompts must be >= 1, got -5"),  # the earlier name of the option
        ("type", lambda f: ["--output_dir", f["out"], "--num_prompts", "x"],
         "argument --num_prompts/--num_samples: invalid int value: 'x'"),
        ("missing", lambda f: ["--dataset_name", f["missing"], "--output_dir", f["out"]], "does not exist"),
        ("output is a file", lambda f: ["--dataset_name", f["problems"], "--output_dir", f["file"]], "is a file"),
        ("bad file", lambda f: ["--dataset_name", f["bad"], "--output_dir", f["out"]], "bad.jsonl:2: not valid JSON"),
        ("required", lambda f: [], "the following arguments are required: --output_dir"),
        ("hub flag", lambda f: ["--output_dir", f["out"], "--push_to_hub", "true"],
         "argument --push_to_hub: takes the Hub repo id to push to (user/name), got 'true'"),
    ]),
    "evaluate": (evaluate.main, [
        ("range", lambda f: evaluate_args(f, "--num_generations", 0), "--num_generations must be >= 1, got 0"),
        ("type", lambda f: evaluate_args(f, "--limit", "x"), "argument --limit: invalid int value: 'x'"),
        ("k type", lambda f: evaluate_args(f, "--k", "x"), "--num_generations must be a whole number"),
        ("top_p", lambda f: evaluate_args(f, "--top_p", 0), "--top_p must be in (0, 1], got 0.0"),
        ("missing", lambda f: evaluate_args(f, "--data_file", f"math500={f['missing']}"), "not found"),
        ("missing model", lambda f: evaluate_args(f, "--model", "./no/such/model"), "does not exist"),
        ("output is a file", lambda f: evaluate_args(f, "--output_dir", f["file"]), "is a file"),
        ("output in a file", lambda f: evaluate_args(f, "--output_dir", f["file"] / "sub"), "cannot be created"),
        ("output is the model", lambda f: evaluate_args(f, "--output_dir", f["model"] / "results"), "own input"),
        ("bad file", lambda f: evaluate_args(f, "--data_file", f"math500={f['bad']}"), "bad.jsonl:2"),
        ("partial run", lambda f: evaluate_args(f, "--model", f["partial"]), "--all_checkpoints"),
        ("unused", lambda f: evaluate_args(f, "--target_length_template", "{prompt} {target_length}"),
         "--target_length_template does nothing here: the budget is stated only with --target_tokens"),
        ("other backend", lambda f: evaluate_args(f, "--max_model_len", 64),
         "--max_model_len does nothing here: it applies to --backend vllm only"),
    ]),
    "rejection_sampling": (rejection_sampling.main, [
        ("range", lambda f: rs_args(f, "--num_generations", 0), "--num_generations must be >= 1, got 0"),
        ("temperature", lambda f: rs_args(f, "--temperature", -1), "--temperature must be >= 0"),
        ("type", lambda f: rs_args(f, "--max_completion_length", "many"),
         "argument --max_completion_length/--max_tokens: invalid int value"),
        ("missing", lambda f: rs_args(f, "--dataset_name", f["missing"]), "does not exist"),
        ("output is a file", lambda f: rs_args(f, "--output_dir", f["file"]), "is a file"),
        ("bad file", lambda f: rs_args(f, "--dataset_name", f["bad"]), "bad.jsonl:2"),
        ("other backend", lambda f: rs_args(f, "--gpu_memory_utilization", 0.5), "applies to --backend vllm only"),
        ("hub flag", lambda f: rs_args(f, "--push_to_hub", "false"), "takes the Hub repo id to push to"),
    ]),
    "plot": (plot.main, [
        ("range", lambda f: ["--results", f["evaluated"], "--output_dir", f["out"], "--smoothing", 2],
         "--smoothing must be in [0, 1]"),
        ("type", lambda f: ["--paper", "nope", "--output_dir", f["out"]], "argument --paper: invalid choice"),
        ("missing", lambda f: ["--results", f["missing"], "--output_dir", f["out"]], "is not a folder"),
        ("checkpoints folder", lambda f: ["--results", f["evaluated"], "--output_dir", f["out"]],
         "pass it as --checkpoints"),
        ("output is a file", lambda f: ["--checkpoints", f["evaluated"], "--output_dir", f["file"]], "is a file"),
    ]),
    "side_by_side": (side_by_side.main, [
        ("range", lambda f: ["--models", f["model"], "--backend", "transformers", "--num_generations", 0],
         "--num_generations must be >= 1, got 0"),
        ("type", lambda f: ["--models", f["model"], "--max_tokens", "x"],
         "argument --max_completion_length/--max_tokens: invalid int"),
        ("missing", lambda f: ["--models", f["model"], "--backend", "transformers", "--questions_file", f["missing"]],
         "does not exist"),
        ("output is a file", lambda f: ["--models", f["model"], "--backend", "transformers", "--output_dir",
                                        f["file"]], "is a file"),
        ("missing model", lambda f: ["--models", "./no/such/model", "--backend", "transformers"],
         "--models: local model folder"),
    ]),
    "tiny": (tiny.main, [
        ("range", lambda f: ["--output_dir", f["out"], "--hidden_size", 0], "--hidden_size must be >= 1, got 0"),
        ("type", lambda f: ["--num_layers", "two"], "argument --num_layers: invalid int value: 'two'"),
        ("output is a file", lambda f: ["--output_dir", f["file"]], "is a file"),
    ]),
    "models": (models.main, [
        ("choice", lambda f: ["gpt-5", "--output_dir", f["out"]], "argument model: invalid choice: 'gpt-5'"),
        ("output is a file", lambda f: ["smollm2-135m-instruct", "--output_dir", f["file"]], "is a file"),
        ("tiny output is a file", lambda f: ["tiny", "--output_dir", f["file"]], "is a file"),
    ]),
    "word_problems": (word_problems.main, [
        ("range", lambda f: ["--output_dir", f["out"], "--num_heldout", 0], "--num_heldout must be >= 1, got 0"),
        ("output is a file", lambda f: ["--output_dir", f["file"]], "is a file"),
    ]),
    "demo": (demo_cli.main, [
        ("range", lambda f: ["--output_dir", f["out"], "--rl_steps", 0], "--rl_steps must be >= 1, got 0"),
        ("type", lambda f: ["--output_dir", f["out"], "--alphas", "a,b"], "--alphas: invalid float value: 'a'"),
        ("choice", lambda f: ["--preset", "huge"], "argument --preset: invalid choice: 'huge'"),
        ("output is a file", lambda f: ["--output_dir", f["file"]], "is a file"),
        ("toy option", lambda f: ["--model", "smollm2-135m-instruct", "--preset", "quick", "--output_dir", f["out"]],
         "--preset does nothing here: it sizes the toy demo only"),
        ("real-model option", lambda f: ["--backend", "vllm", "--output_dir", f["out"]],
         "--backend applies to --model smollm2-135m-instruct only"),
        ("real-model alphas", lambda f: ["--model", "smollm2-135m-instruct", "--alphas", "0.1,0.4", "--output_dir",
                                         f["out"]], "needs 0 and at least one alpha > 0"),
        ("missing model folder", lambda f: ["--model", "smollm2-135m-instruct", "--model_dir", f["missing"],
                                            "--output_dir", f["out"]], "--model_dir: "),
    ]),
    "demo.compare": (demo_compare.main, [
        ("unknown method", lambda f: ["--output_dir", f["out"], "--methods", "nope"], "unknown method(s) ['nope']"),
        ("type", lambda f: ["--output_dir", f["out"], "--targets", "x"], "argument --targets: invalid int value: 'x'"),
        ("output is a file", lambda f: ["--output_dir", f["file"]], "is a file"),
    ]),
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "case"), [(name, case) for name, (_, cases) in CASES.items() for case in cases],
    ids=[f"{name}-{case[0]}" for name, (_, cases) in CASES.items() for case in cases],
)  # fmt: skip
def test_every_command_fails_in_one_line_before_loading_or_writing(name, case, files, capsys):
    main = CASES[name][0]
    _, argv, match = case
    before = sorted(p for p in files["out"].parent.rglob("*"))
    fails_in_one_line(capsys, main, argv(files), match)
    assert not files["out"].exists()  # nothing written: no empty or partial output folder
    assert sorted(p for p in files["out"].parent.rglob("*")) == before


def test_unwritable_output_folder_is_named(files, capsys, monkeypatch):
    real = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if Path(path) == files["out"].parent else real(path, mode)
    )
    fails_in_one_line(capsys, evaluate.main, evaluate_args(files), "is not writable")
    fails_in_one_line(capsys, data.main, ["--dataset_name", files["problems"], "--output_dir", files["out"]],
                      "is not writable")  # fmt: skip


def test_data_writes_nothing_into_its_own_input(tmp_path, capsys):
    from datasets import Dataset

    folder = tmp_path / "prepared"
    Dataset.from_list([{"problem": "q", "answer": "1"}]).save_to_disk(folder)
    before = sorted(folder.rglob("*"))
    fails_in_one_line(capsys, data.main, ["--dataset_name", folder, "--output_dir", folder], "own input")
    assert sorted(folder.rglob("*")) == before


# The training commands: recipe keys, flags, values and paths, each in one line before a model loads.


def training_recipe(tmp_path: Path, tiny: Path, name: str, **overrides) -> Path:
    config = yaml.safe_load((REPO / "recipes" / "tiny" / f"{name}.yaml").read_text())
    dataset = tiny / ("arithmetic.jsonl" if name == "grpo" else f"{name}.jsonl")
    config.update(model_name_or_path=str(tiny / "model"), dataset_name=str(dataset), output_dir=str(tmp_path / "run"))
    config.update(overrides)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in config.items() if v is not None}))
    return path


TRAINING_CASES = [
    ("unknown key", {"learnig_rate": 1e-5}, [], "unknown key 'learnig_rate'; did you mean 'learning_rate'?"),
    ("unknown flag", {}, ["--max_stpes", "3"], "unknown option --max_stpes; did you mean '--max_steps'?"),
    ("type", {}, ["--max_steps", "x"], "argument --max_steps/--max-steps: invalid int value: 'x'"),
    ("range", {}, ["--max_train_samples", "0"], "max_train_samples must be >= 1, got 0"),
    ("missing model", {"model_name_or_path": "./models/nope"}, [],
     "local model folder './models/nope' does not exist"),
    ("missing data", {"dataset_name": "/no/such/data.jsonl"}, [], "does not exist"),
    ("output is a file", {}, ["--output_dir", "{file}"], "is a file"),
    ("output is the model", {}, ["--output_dir", "{model}"], "own input"),
]  # fmt: skip


@pytest.mark.parametrize("module", [grpo, sft, dpo], ids=["grpo", "sft", "dpo"])
@pytest.mark.parametrize(("overrides", "extra", "match"), [c[1:] for c in TRAINING_CASES],
                         ids=[c[0] for c in TRAINING_CASES])  # fmt: skip
def test_training_commands_fail_in_one_line(module, overrides, extra, match, tmp_path, tiny, capsys):
    name = module.__name__.rsplit(".", 1)[1]
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    path = training_recipe(tmp_path, tiny, name, **overrides)
    extra = [e.format(file=a_file, model=tiny / "model") for e in extra]
    line = fails_in_one_line(capsys, module.cli, ["--config", path, *extra], match)
    if "unknown key" in match:
        assert str(path) in line  # the recipe file is named
    assert not (tmp_path / "run").exists()


def test_missing_recipe_and_bad_yaml(tmp_path, capsys):
    fails_in_one_line(capsys, grpo.cli, ["--config", tmp_path / "nope.yaml"], "recipe file")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    fails_in_one_line(capsys, sft.cli, ["--config", bad], "not valid YAML")


def test_reward_parameter_of_another_reward_is_an_error(tmp_path, tiny, capsys):
    path = training_recipe(tmp_path, tiny, "grpo")
    fails_in_one_line(capsys, grpo.cli, ["--config", path, "--kimi_weight", "0.5"],
                      "kimi_weight (the command line) does nothing with length_reward='paper'")  # fmt: skip
    own = training_recipe(tmp_path, tiny, "grpo", length_reward="kimi", kimi_weight=0.5)  # alpha 0.1 too
    fails_in_one_line(capsys, grpo.cli, ["--config", own], "length_penalty_alpha (recipe")
    # the recipe's reward replaced on the command line: its parameter is only reported
    _, args, _ = grpo.parse(["--config", str(path), "--length_reward", "kimi", "--output_dir", str(tmp_path / "k")])
    assert args.length_reward == "kimi"


def test_names_and_labels_follow_the_selected_reward(tmp_path, tiny, capsys):
    from efficient_reasoning.utils import fill_alpha

    path = training_recipe(tmp_path, tiny, "grpo", output_dir=str(tmp_path / "grpo-alpha{alpha}"))
    argv = ["--config", str(path), "--length_reward", "l1_max", "--target_length_min", "8", "--target_length_max",
            "16"]  # fmt: skip
    _, args, _ = grpo.parse(argv)
    fill_alpha(args)
    assert args.output_dir.endswith("grpo-alpha0.0003") and args.run_name == "tiny-grpo-alpha0.0003"  # l1_alpha
    line = fails_in_one_line(capsys, grpo.cli, ["--config", path, "--length_reward", "kimi"],
                             "length_reward='kimi' has no alpha to fill {alpha}")  # fmt: skip
    # every field at once, with the names to pass instead
    assert "output_dir '" in line and "run_name 'tiny-grpo-alpha{alpha}'" in line
    assert "--run_name tiny-grpo-{reward}" in line and "grpo-{reward}" in line


def test_a_finished_run_refuses_other_settings(tmp_path, tiny, capsys, caplog):
    """The known case: rerunning a finished alpha-0.1 run with alpha 0.4 (with or without more steps) would resume it
    and mix two runs, or say 'already finished' although alpha differs."""
    from efficient_reasoning.utils import RUN_FILE, record_training_run, training_settings

    path = training_recipe(tmp_path, tiny, "grpo")
    out = tmp_path / "run"
    record_training_run(str(out), training_settings("grpo", *grpo.parse(["--config", str(path)])))
    (out / "trainer_state.json").write_text(json.dumps({"global_step": 4, "log_history": []}))
    for extra in (["--max_steps", "6"], []):
        line = fails_in_one_line(capsys, grpo.cli, ["--config", path, "--length_penalty_alpha", "0.4", *extra],
                                 "holds a run with other settings: length_penalty_alpha 0.1 -> 0.4")  # fmt: skip
        assert "another --output_dir" in line and "--allow_settings_change" in line
    fails_in_one_line(capsys, grpo.cli, ["--config", path, "--seed", "1"], "seed 42 -> 1")
    recorded = json.loads((out / RUN_FILE).read_text())
    assert recorded["length_penalty_alpha"] == 0.1 and recorded["method"] == "grpo"
    # what does not change the run is allowed: a finished run stays finished
    grpo.cli(["--config", str(path), "--logging_steps", "2", "--save_steps", "1"])
    assert "already finished 4 of max_steps=4" in caplog.text
    # the explicit option continues it
    grpo.cli(["--config", str(path), "--length_penalty_alpha", "0.4", "--allow_settings_change", "true"])
    assert "continuing a run with other settings" in caplog.text


def test_a_run_continued_with_other_settings_keeps_the_earlier_ones(tmp_path):
    """`--allow_settings_change` continues a run; its earlier settings stay on record, in the card and the plots."""
    from efficient_reasoning.dynamics import load_run
    from efficient_reasoning.utils import RUN_FILE, history_note, record_training_run, run_history

    out = tmp_path / "run"
    first = {"method": "grpo", "length_penalty_alpha": 0.1, "seed": 42}
    record_training_run(str(out), first)
    record_training_run(str(out), first)  # a rerun with the same settings changes nothing
    assert run_history(str(out)) == [] and history_note(str(out)) is None
    (out / "checkpoint-4").mkdir()
    (out / "checkpoint-4" / "trainer_state.json").write_text('{"global_step": 4}')  # a complete save
    second = {**first, "length_penalty_alpha": 0.4}
    record_training_run(str(out), second)
    record_training_run(str(out), second)
    assert json.loads((out / RUN_FILE).read_text()) == second
    assert run_history(str(out)) == [{"until_step": 4, "settings": first}]
    assert history_note(str(out)) == "until step 4: length_penalty_alpha=0.1 (run_history.json)"
    (out / "efficient_reasoning.json").write_text(json.dumps({"length_penalty_alpha": 0.4}))
    log = [{"step": 5, "efficiency/accuracy": 1.0, "efficiency/alpha": 0.4}]
    (out / "trainer_state.json").write_text(json.dumps({"log_history": log}))
    assert load_run(out).label == "α=0.4 from step 5 (other settings before: run_history.json)"
    # resumed from a chosen checkpoint: its step; restarted from none: the earlier settings trained nothing kept
    record_training_run(str(out), first, resume_from=str(out / "checkpoint-2"))
    assert run_history(str(out))[-1] == {"until_step": 2, "settings": second}
    fresh = tmp_path / "fresh"
    record_training_run(str(fresh), first)
    record_training_run(str(fresh), second)
    assert run_history(str(fresh)) == [] and json.loads((fresh / RUN_FILE).read_text()) == second


# Help, Ctrl-C, --debug and bugs.


def test_run_command_one_line_debug_and_bugs(capsys, monkeypatch):
    def bad(argv):
        raise SettingError("--k must be >= 1, got 0\nsecond line")

    with pytest.raises(SystemExit) as exit_:
        run_command(bad, ["--k", "0"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "error: --k must be >= 1, got 0; second line\n"
    with pytest.raises(SettingError):
        run_command(bad, ["--debug"])  # the traceback, for a bug report
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    with pytest.raises(SettingError):
        run_command(bad, [])
    monkeypatch.delenv(cli.DEBUG_ENV)

    seen = []

    def bug(argv):
        seen.append(argv)
        raise ValueError("a bug, not a usage error")

    with pytest.raises(ValueError, match="a bug"):  # not swallowed: the traceback stays
        run_command(bug, ["--debug", "--x"])
    assert seen == [["--x"]]  # --debug is the wrapper's, not the command's


def test_ctrl_c_in_training_is_one_line(tmp_path, tiny, capsys, monkeypatch):
    from efficient_reasoning import utils

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(utils, "load_tokenizer", interrupted)
    monkeypatch.setattr(grpo, "load_tokenizer", interrupted)
    with pytest.raises(SystemExit) as exit_:
        run_command(grpo.cli, ["--config", str(training_recipe(tmp_path, tiny, "grpo"))])
    assert exit_.value.code == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("Interrupted: what was written")


def test_usage_errors_are_the_builtin_ones_too():
    assert issubclass(cli.MissingPathError, FileNotFoundError) and issubclass(cli.NotAFolderError, NotADirectoryError)
    assert issubclass(SettingError, ValueError) and issubclass(SettingError, UsageError)


def help_text(capsys, main, argv=("--help",)) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    assert exit_.value.code == 0
    return " ".join(capsys.readouterr().out.split())


# The sampling commands' options that mean what a training option means (by destination): named as in training,
# the earlier name accepted after it.
SAME_AS_TRAINING = {
    "model": "model_name_or_path", "revision": "model_revision", "max_tokens": "max_completion_length",
    "k": "num_generations", "num_samples": "num_generations", "split": "dataset_train_split",
    "tensor_parallel_size": "vllm_tensor_parallel_size", "gpu_memory_utilization": "vllm_gpu_memory_utilization",
    "max_model_len": "vllm_max_model_length", "target_template": "target_length_template",
}  # fmt: skip


def test_options_that_mean_the_same_have_the_same_name():
    import dataclasses

    from trl import ModelConfig

    from efficient_reasoning.configs import DataArguments, EfficientReasoningConfig

    training = {f.name for t in (DataArguments, EfficientReasoningConfig, ModelConfig) for f in dataclasses.fields(t)}
    parsers = {"evaluate": evaluate.build_parser(), "rejection_sampling": rejection_sampling.build_parser(),
               "side_by_side": side_by_side.build_parser(), "data": data.build_parser()}  # fmt: skip
    renamed = 0
    for command, parser in parsers.items():
        for action in parser._actions:
            if name := SAME_AS_TRAINING.get(action.dest):
                renamed += 1
                assert name in training and action.option_strings[0] == f"--{name}", (command, action.option_strings)
            for option in action.option_strings:  # no training option's name stands for something else
                if option[2:] in training:
                    assert option[2:] in (action.dest, name), (command, option, action.dest)
    assert renamed >= 15
    # the earlier names still work
    earlier = ["--model", "m", "--dataset_name", "d", "--output_dir", "o", "--num_samples", "3", "--max_tokens", "9",
               "--split", "s"]  # fmt: skip
    args = rejection_sampling.build_parser().parse_args(earlier)
    assert (args.model, args.num_samples, args.max_tokens, args.split) == ("m", 3, 9, "s")


def test_help_shows_own_options_first_and_required(capsys):
    text = help_text(capsys, grpo.cli)
    assert text.index("--length_penalty_alpha") < text.index("--adam_beta1")  # the project's before TRL's
    assert text.index("--allow_settings_change") < text.index("--adam_beta1")
    assert "usage: python -m efficient_reasoning.grpo --config RECIPE" in text
    assert "--output_dir OUTPUT_DIR where to write the `save_to_disk` folder (required)" in help_text(
        capsys, data.main
    )
    assert "--model_name_or_path MODEL, --model MODEL Hub id or local folder (required)" in help_text(
        capsys, evaluate.main
    )
    assert "DeepSeek-R1-Distill-Qwen-1.5B" in help_text(capsys, plot.main)  # --paper lists its names
    assert "--temperature TEMPERATURE (default: 0.6)" in help_text(capsys, side_by_side.main)


def test_target_length_template_has_one_name_everywhere():
    parser = evaluate.build_parser()
    base = ["--model", "m", "--output_dir", "o"]
    assert parser.parse_args([*base, "--target_length_template", "{prompt} T={target_length}"]).target_template == (
        "{prompt} T={target_length}"
    )
    assert parser.parse_args([*base, "--target_template", "{prompt} {target_length}"]).target_template == (
        "{prompt} {target_length}"
    )  # the former name still works


@pytest.mark.parametrize(
    ("module", "argv", "match"),
    [
        ("data", ["--num_prompts", "0", "--output_dir", "{out}"], "error: --num_prompts must be >= 1, got 0"),
        ("evaluate", ["--model", "m", "--output_dir", "{out}", "--k", "0"],
         "error: --num_generations must be >= 1, got 0"),
        ("grpo", ["--config", str(REPO / "recipes" / "tiny" / "grpo.yaml"), "--kimi_weight", "0.5"],
         "error: kimi_weight (the command line) does nothing with length_reward='paper'"),
    ],
)  # fmt: skip
def test_the_commands_exit_2_with_one_line(module, argv, match, tmp_path):
    """Through `python -m`: the `__main__` block of each command goes through the one error path."""
    import subprocess
    import sys

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", f"efficient_reasoning.{module}", *[a.format(out=out) for a in argv]]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [errors[0]] and errors[0].startswith(match) and "Traceback" not in result.stderr
    assert not out.exists()
    if module != "data":  # the slower imports: --debug is checked once
        return
    debug = subprocess.run([*cmd, "--debug"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert debug.returncode == 1 and "Traceback" in debug.stderr  # --debug: the traceback, for a bug report


def test_list_options_take_commas_and_spaces_alike():
    parser = cli.ArgumentParser()
    parser.add_argument("--benchmarks", action=cli.ItemList, default="gsm8k")
    parser.add_argument("--target_tokens", action=cli.ItemList, kind=int, default=None)
    for argv in (["--benchmarks", "gsm8k,math500"], ["--benchmarks", "gsm8k", "math500"],
                 ["--benchmarks", "gsm8k,", "math500"]):  # fmt: skip
        assert parser.parse_args(argv).benchmarks == "gsm8k,math500"
    assert parser.parse_args(["--target_tokens", "256,512", "1024"]).target_tokens == [256, 512, 1024]
    with pytest.raises(SettingError, match="argument --target_tokens: invalid int value: 'x'"):
        parser.parse_args(["--target_tokens", "256,x"])
    # every command's list options: evaluate, plot, data, the demo and the comparison parse both spellings
    from efficient_reasoning.plot import build_parser as plot_parser

    assert evaluate.build_parser().parse_args(["--model", "m", "--output_dir", "o", "--benchmarks", "gsm8k",
                                               "math500"]).benchmarks == "gsm8k,math500"  # fmt: skip
    assert (
        plot_parser().parse_args(["--output_dir", "o", "--benchmarks", "gsm8k", "math500"]).benchmarks
        == "gsm8k,math500"
    )


@pytest.mark.parametrize("module", [grpo, sft], ids=["grpo", "sft"])
def test_a_launch_precision_the_recipe_does_not_train_with_is_one_line(module, tmp_path, tiny, capsys, monkeypatch):
    # what `accelerate launch --config_file accelerate_configs/zero2.yaml` (mixed_precision: bf16) passes on
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")
    name = module.__name__.rsplit(".", 1)[1]
    path = training_recipe(tmp_path, tiny, name)  # a CPU recipe: bf16 false
    fails_in_one_line(capsys, module.cli, ["--config", path],
                      "accelerate launch runs with mixed_precision bf16 (its --config_file or --mixed_precision) but "
                      "the recipe trains with bf16: false, fp16: false: add --mixed_precision no")  # fmt: skip
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed")
def test_a_model_vllms_cpu_build_cannot_run_is_one_line_before_the_engine_starts(files, capsys):
    # the tiny model's head size is 16: the CPU engine would die minutes into its start
    args = ["vllm" if a == "transformers" else a for a in evaluate_args(files)]
    fails_in_one_line(capsys, evaluate.main, args, "vLLM's CPU build cannot run its attention head size 16 (it takes "
                      "32, 64,")  # fmt: skip
    assert not files["out"].exists()


def test_a_byte_that_is_not_utf8_names_its_file_line_and_column(capsys, tmp_path, tiny):
    """A Latin-1 file (`café` as one byte 0xe9): `datasets` loads a JSON-lines file and stops at the first access of
    the row, and a CSV with `DatasetGenerationError`, naming neither file nor line."""
    rows = tmp_path / "latin1.jsonl"
    rows.write_bytes(b'{"problem": "q", "answer": "1"}\n{"problem": "caf\xe9", "answer": "2"}\n')
    table = tmp_path / "latin1.csv"
    table.write_bytes(b"problem,answer\nq,1\ncaf\xe9,2\n")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_bytes(b"# caf\xe9\nlength_penalty_alpha: 0.1\n")
    questions = tmp_path / "questions.txt"
    questions.write_bytes(b"What is 2 + 2?\ncaf\xe9?\n")
    out = str(tmp_path / "out")
    fails_in_one_line(capsys, data.main, ["--dataset_name", rows, "--output_dir", out],
                      f"{rows}:2: byte 0xe9 at column 17 is not UTF-8")  # fmt: skip
    fails_in_one_line(capsys, data.main, ["--dataset_name", table, "--output_dir", out], f"{table}:3: byte 0xe9")
    evaluated = ["--model", tiny / "model", "--backend", "transformers", "--benchmarks", "math500", "--data_file",
                 f"math500={rows}", "--output_dir", out]  # fmt: skip
    fails_in_one_line(capsys, evaluate.main, evaluated, f"{rows}:2: byte 0xe9")
    fails_in_one_line(
        capsys, grpo.cli, ["--config", recipe, "--output_dir", out], f"{recipe}:1: byte 0xe9 at column 6"
    )
    compared = ["--models", tiny / "model", "--backend", "transformers", "--questions_file", questions, "--output_dir",
                out]  # fmt: skip
    fails_in_one_line(capsys, side_by_side.main, compared, f"{questions}:2: byte 0xe9 at column 4")
    assert not Path(out).exists()
