"""The real vLLM engine (its CPU build) against the transformers backend: evaluation and rejection sampling give
the same greedy completions, token counts, finished flags and answers; sampled runs reproduce with their seed and a
resumed run never redraws a written sample. The engine runs in the engine host's process (it binds threads and
starts a distributed group in the process that builds it), on the demo's SFT model (head size 32)."""

import importlib
import json
import shutil
from pathlib import Path

import pytest

from tests import vllm_cpu

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not vllm_cpu.available(), reason=vllm_cpu.MISSING)]
KEYS = ("completion", "num_tokens", "finished", "extracted_answer", "correct")


def run(host: vllm_cpu.EngineHost, module: str, *args: str) -> None:
    """vLLM on the engine host; the transformers backend here (`main` of the module)."""
    if "transformers" in args:
        return importlib.import_module(module).main(list(args))
    host.run(module, *args)


def rows(path: Path) -> dict[tuple, dict]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    keyed = {(r["problem_id"], r["sample_index"]): r for r in lines}
    assert len(keyed) == len(lines)  # no (problem, sample) written twice
    return keyed


def problems(demo: Path, count: int) -> Path:
    """`count` held-out problems spread evenly over the file, so over all levels (the file is ordered by level)."""
    path = demo / f"heldout_{count}.jsonl"
    if not path.exists():
        lines = (demo / "data" / "heldout.jsonl").read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:: len(lines) // count][:count]))
    return path


def evaluate_args(data: Path, model: Path, out: Path, backend: str, *extra: str) -> list[str]:
    return [
        "--model", str(model), "--backend", backend, "--dtype", "float32", "--benchmarks", "heldout",
        "--data_file", f"heldout={data}", "--no_chat_template", "--prompt_template", "{question}",
        "--output_dir", str(out), *extra,
    ]  # fmt: skip


def test_evaluate_greedy_is_the_same_on_both_backends(quick_demo, vllm_host, tmp_path):
    demo, _ = quick_demo
    # k=2 at temperature 0: two identical samples per problem; 60 tokens truncate the level-6 answers
    extra = ["--temperature", "0", "--k", "2", "--max_tokens", "60"]
    for backend in ("vllm", "transformers"):
        args = evaluate_args(problems(demo, 40), demo / "sft", tmp_path / backend, backend, *extra)
        run(vllm_host, "efficient_reasoning.evaluate", *args)
    engine, reference = (rows(tmp_path / b / "heldout" / "samples.jsonl") for b in ("vllm", "transformers"))
    assert len(reference) == 80 and engine.keys() == reference.keys()
    assert [[engine[key][k] for k in KEYS] for key in reference] == [[r[k] for k in KEYS] for r in reference.values()]
    finished = [r["finished"] for r in reference.values()]
    assert any(finished) and not all(finished)  # both an EOS and the token limit are exercised
    assert json.loads((tmp_path / "vllm" / "heldout" / "metrics.json").read_text())["k"] == 2


def test_sampled_runs_reproduce_and_a_resumed_run_keeps_written_samples(quick_demo, vllm_host, tmp_path):
    demo, _ = quick_demo
    extra = ["--temperature", "0.6", "--k", "3", "--max_tokens", "160", "--seed", "3"]
    args = {name: evaluate_args(problems(demo, 20), demo / "sft", tmp_path / name, "vllm", *extra) for name in "abc"}
    for name in ("a", "b"):
        run(vllm_host, "efficient_reasoning.evaluate", *args[name])
    first, second = (rows(tmp_path / name / "heldout" / "samples.jsonl") for name in ("a", "b"))
    assert len(first) == 60 and first == second  # 3 samples of each of 20 problems, the same on a rerun
    assert len({r["completion"] for r in first.values()}) > 20  # sampled, not greedy

    # an interrupted run: the folder holds 25 of the 60 samples; the rerun draws only the 35 missing ones
    shutil.copytree(tmp_path / "a", tmp_path / "c")
    log = tmp_path / "c" / "heldout" / "samples.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:25]))
    (tmp_path / "c" / "heldout" / "metrics.json").unlink()
    kept = rows(log)
    run(vllm_host, "efficient_reasoning.evaluate", *args["c"])
    resumed = rows(log)
    assert len(resumed) == 60 and all(resumed[key] == row for key, row in kept.items())


def test_rejection_sampling_is_the_same_on_both_backends(quick_demo, vllm_host, tmp_path):
    demo, _ = quick_demo
    reports = {}
    for backend in ("vllm", "transformers"):
        run(
            vllm_host, "efficient_reasoning.rejection_sampling", "--model", str(demo / "sft"), "--backend", backend,
            "--dtype", "float32", "--dataset_name", str(demo / "data" / "train.jsonl"), "--limit", "12",
            "--num_samples", "2", "--temperature", "0", "--max_tokens", "160", "--no_chat_template",
            "--prompt_template", "{question}", "--output_dir", str(tmp_path / backend),
        )  # fmt: skip
        reports[backend] = rows(tmp_path / backend / "samples.jsonl")
    assert len(reports["transformers"]) == 24
    engine, reference = reports["vllm"], reports["transformers"]
    assert [[engine[key][k] for k in KEYS] for key in reference] == [[r[k] for k in KEYS] for r in reference.values()]
    from datasets import load_from_disk

    assert (
        load_from_disk(str(tmp_path / "vllm" / "sft"))[:] == load_from_disk(str(tmp_path / "transformers" / "sft"))[:]
    )


def test_side_by_side_is_the_same_on_both_backends(quick_demo, vllm_host, tmp_path):
    """side_by_side generates with vLLM by default: its options reach the engine as evaluation's do."""
    demo, _ = quick_demo
    questions = [json.loads(line)["problem"] for line in problems(demo, 4).read_text().splitlines()]
    for backend in ("vllm", "transformers"):
        run(
            vllm_host, "efficient_reasoning.side_by_side", "--models", str(demo / "sft"), "--backend", backend,
            "--dtype", "float32", "--questions", *questions, "--no_chat_template", "--prompt_template", "{question}",
            "--temperature", "0", "--max_completion_length", "160", "--output_dir", str(tmp_path / backend),
        )  # fmt: skip
    engine, reference = (
        [json.loads(line) for line in (tmp_path / b / "side_by_side.jsonl").read_text().splitlines()]
        for b in ("vllm", "transformers")
    )
    keys = ("question", "completion", "num_tokens", "finished", "answer")
    assert len(reference) == 4 and [[r[k] for k in keys] for r in engine] == [[r[k] for k in keys] for r in reference]
