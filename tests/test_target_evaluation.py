"""`evaluate --target_tokens`: the budget in the prompt, used vs requested tokens, and its plot."""

import json

import pytest

from efficient_reasoning import evaluate, plot
from tests.test_evaluate import eval_args, problems_file

FAST = ("--k", "1", "--max_tokens", "12")


def test_target_tokens_state_the_budget_and_measure_the_error(tmp_path, tiny, monkeypatch):
    builds = []
    real = evaluate.generator_from_args
    monkeypatch.setattr(evaluate, "generator_from_args", lambda args: builds.append(1) or real(args))
    out = tmp_path / "out"
    results = evaluate.main(eval_args(tiny, problems_file(tmp_path, 2), out, *FAST, "--target_tokens", "8", "16"))
    assert sorted(results) == [8, 16] and len(builds) == 1  # one model load for every budget
    summary = json.loads((out / "target_length.json").read_text())
    assert [r["target_tokens"] for r in summary["math500"]] == [8, 16]
    for row in summary["math500"]:
        n = row["target_tokens"]
        run = json.loads((out / f"target-{n}" / "run.json").read_text())
        assert run["prompt_template"].endswith(f"{{question}}\n\nThink for {n} tokens.") and run["target_tokens"] == n
        samples = [json.loads(line) for line in (out / f"target-{n}" / "math500" / "samples.jsonl").open()]
        used = [s["num_tokens"] for s in samples]
        assert len(used) == 2
        assert row["mean_tokens"] == pytest.approx(sum(used) / 2)
        assert row["mean_abs_error"] == pytest.approx(sum(abs(u - n) for u in used) / 2)
        assert row["mean_rel_error"] == pytest.approx(sum(abs(u - n) / n for u in used) / 2)
        assert row["pass_rate"] == results[n]["math500"]["pass_rate"]
    # a rerun finds every sample done and loads no model
    builds.clear()
    evaluate.main(eval_args(tiny, problems_file(tmp_path, 2), out, *FAST, "--target_tokens", "8", "16"))
    assert builds == []

    written = plot.main(["--targets", str(out), "--output_dir", str(tmp_path / "plots")])
    assert written == [tmp_path / "plots" / "targets_math500.png"] and written[0].stat().st_size > 1000


def test_bad_budgets_and_folders_fail(tmp_path, tiny):
    with pytest.raises(ValueError, match="--target_tokens must be >= 1"):
        evaluate.main(eval_args(tiny, problems_file(tmp_path, 1), tmp_path / "o", "--target_tokens", "0"))
    with pytest.raises(ValueError, match="no target_length.json"):
        plot.main(["--targets", str(tmp_path), "--output_dir", str(tmp_path / "plots")])
