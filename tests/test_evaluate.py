import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from efficient_reasoning import evaluate
from efficient_reasoning.evaluate import BENCHMARKS, load_problems
from efficient_reasoning.metrics import summarize
from efficient_reasoning.verifier import Verifier, extract_answer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def verifier():
    v = Verifier(timeout=5.0, num_workers=2)  # generous: these tests check verdicts, not time
    yield v
    v.close()


@pytest.mark.parametrize("name", ["aime24", "gsm8k", "math500"])
def test_shared_golds_parse_and_verify(shared_data, verifier, name):
    problems = load_problems(BENCHMARKS[name], str(shared_data / "eval" / BENCHMARKS[name].local_file))
    assert len(problems) == {"gsm8k": 1319, "math500": 500, "aime24": 30}[name]
    golds = [p["answer"] for p in problems]
    assert verifier([f"Final: \\boxed{{{g}}}" for g in golds], golds) == [1.0] * len(golds)
    if name == "gsm8k":  # the text after ####, without thousands separators
        raw = json.loads((shared_data / "eval" / "gsm8k_test.jsonl").read_text().splitlines()[0])["answer"]
        assert golds[0] == raw.rsplit("#### ", 1)[1].replace(",", "") and "####" not in golds[0]
        assert all(g.lstrip("-").replace(".", "").isdigit() for g in golds)
    if name == "aime24":  # zero-padded golds match unpadded answers
        assert "025" in golds
        assert verifier(["\\boxed{25}"], ["025"]) == [1.0]
    if name == "math500":
        assert {p["level"] for p in problems} == {1, 2, 3, 4, 5}


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_bad_rows_are_reported_by_line(tmp_path):
    rows = [
        {"problem": "ok", "answer": "1", "level": 1, "unique_id": "a"},
        {"problem": "", "answer": "2", "level": 1, "unique_id": "b"},
        {"problem": "no answer", "answer": None, "level": 1, "unique_id": "c"},
    ]
    path = write_jsonl(tmp_path / "m.jsonl", rows)
    with pytest.raises(ValueError) as err:
        load_problems(BENCHMARKS["math500"], str(path))
    assert f"{path}:2: empty 'problem'" in str(err.value) and f"{path}:3: missing answer in 'answer'" in str(err.value)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['problem'\]"):
        load_problems(
            BENCHMARKS["math500"], str(write_jsonl(tmp_path / "q.jsonl", [{"question": "x", "answer": "1"}]))
        )


def problems_file(tmp_path: Path, n: int) -> Path:
    rows = [
        {"problem": f"What is {i} + {i}?", "answer": str(2 * i), "level": 1 + i % 5, "unique_id": f"p{i}"}
        for i in range(n)
    ]
    return write_jsonl(tmp_path / "problems.jsonl", rows)


def eval_args(tiny, data, out, *extra):
    return [
        "--model", str(tiny / "model"), "--backend", "transformers", "--benchmarks", "math500",
        "--data_file", f"math500={data}", "--k", "2", "--max_tokens", "24", "--output_dir", str(out),
        "--cutoffs", "8,16", "--batch_size", "4", *extra,
    ]  # fmt: skip


def test_end_to_end(tmp_path, tiny):
    out = tmp_path / "out"
    results = evaluate.main(eval_args(tiny, problems_file(tmp_path, 5), out))
    rows = [json.loads(line) for line in (out / "math500" / "samples.jsonl").read_text().splitlines()]
    assert sorted((r["problem_id"], r["sample_index"]) for r in rows) == [
        (f"p{i}", j) for i in range(5) for j in (0, 1)
    ]
    for r in rows:
        assert set(r) >= {
            "problem_id",
            "sample_index",
            "completion",
            "num_tokens",
            "finished",
            "extracted_answer",
            "correct",
        }
        assert 1 <= r["num_tokens"] <= 24 and (r["finished"] or r["num_tokens"] == 24)
    metrics = json.loads((out / "math500" / "metrics.json").read_text())
    assert metrics == json.loads(json.dumps(results["math500"]))
    expected = summarize(rows)
    assert metrics["pass_rate"] == pytest.approx(expected["pass_rate"])
    assert metrics["avg_tokens"] == pytest.approx(sum(r["num_tokens"] for r in rows) / 10)
    assert set(metrics["cutoffs"]) == {"8", "16"} and metrics["cutoffs"]["8"]["avg_tokens"] <= 8
    assert set(metrics["by_level"]) == {"1", "2", "3", "4", "5"}
    run = json.loads((out / "run.json").read_text())
    assert run["benchmarks"] == {"math500": {"k": 2}} and run["answer_extraction"] == "paper"
    for r in rows:  # the recorded answer is the one the checker read
        assert r["extracted_answer"] == (extract_answer(r["completion"], "paper") if r["finished"] else None)
    with pytest.raises(ValueError, match="answer_extraction"):
        evaluate.main(eval_args(tiny, problems_file(tmp_path, 5), out, "--answer_extraction", "boxed"))
    # other settings in the same folder are refused, naming the setting
    with pytest.raises(ValueError, match="temperature"):
        evaluate.main(eval_args(tiny, problems_file(tmp_path, 5), out, "--temperature", "1.0"))


def test_a_model_trained_by_the_project_is_prompted_as_it_was_trained(tmp_path, tiny, caplog):
    import shutil

    from efficient_reasoning.data import PAPER_PROMPT

    trained = tmp_path / "trained"
    shutil.copytree(tiny / "model", trained)
    (trained / "run.json").write_text(json.dumps({"method": "grpo", "prompt_template": "Q: {question}"}))
    (trained / "checkpoint-2").mkdir()  # a checkpoint takes its run folder's record
    for f in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (trained / f).exists():
            (trained / "checkpoint-2" / f).symlink_to(trained / f)
    data = problems_file(tmp_path, 2)
    with caplog.at_level("INFO"):
        for model, out in ((trained, "own"), (trained / "checkpoint-2", "checkpoint"), (tiny / "model", "plain")):
            evaluate.main(eval_args(tiny, data, tmp_path / out, "--k", "1")[2:] + ["--model", str(model)])
    assert json.loads((tmp_path / "own" / "run.json").read_text())["prompt_template"] == "Q: {question}"
    assert json.loads((tmp_path / "checkpoint" / "run.json").read_text())["prompt_template"] == "Q: {question}"
    assert json.loads((tmp_path / "plain" / "run.json").read_text())["prompt_template"] == PAPER_PROMPT
    assert f"the one {trained} was trained with ({trained / 'run.json'})" in caplog.text
    assert "prompt template: the paper's (Appendix C)" in caplog.text
    # one given on the command line wins
    evaluate.main(eval_args(tiny, data, tmp_path / "given", "--k", "1", "--prompt_template", "{question}")[2:]
                  + ["--model", str(trained)])  # fmt: skip
    assert json.loads((tmp_path / "given" / "run.json").read_text())["prompt_template"] == "{question}"


def test_killed_run_resumes_without_redoing_rows(tmp_path, tiny):
    data, out = problems_file(tmp_path, 12), tmp_path / "out"
    args = eval_args(tiny, data, out, "--chunk_size", "1", "--batch_size", "1")
    args[args.index("--max_tokens") + 1] = "200"
    cmd = [sys.executable, "-m", "efficient_reasoning.evaluate", *args]
    samples = out / "math500" / "samples.jsonl"
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if samples.exists() and len(samples.read_text().splitlines()) >= 4:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be interrupted"
    first = [json.loads(line) for line in samples.read_text().splitlines() if line.strip().endswith("}")]
    assert 4 <= len(first) < 24

    second = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"math500: {24 - len(first)} of 24 samples to generate" in second.stderr
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    assert rows[: len(first)] == first  # finished rows kept as they were
    keys = [(r["problem_id"], r["sample_index"]) for r in rows]
    assert len(keys) == len(set(keys)) == 24
