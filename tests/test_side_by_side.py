"""The side-by-side comparison on the tiny model (two "models": the same weights under two labels)."""

import json

import pytest

from efficient_reasoning import side_by_side


def test_side_by_side(tiny, tmp_path, capsys):
    model = str(tiny / "model")
    questions = tmp_path / "questions.txt"
    questions.write_text("What is 2 + 3?\n\n")
    out = tmp_path / "out"
    rows = side_by_side.main(
        ["--models", model, model, "--labels", "original", "trained", "--questions", "How much is 1+1?",
         "--questions_file", str(questions), "--num_samples", "2", "--max_tokens", "8", "--backend", "transformers",
         "--output_dir", str(out)]
    )  # fmt: skip
    assert [(r["question"], r["label"], r["sample_index"]) for r in rows] == [
        (q, label, i)
        for q in ("How much is 1+1?", "What is 2 + 3?")
        for label in ("original", "trained")
        for i in (0, 1)
    ]
    assert all(1 <= r["num_tokens"] <= 8 and (r["finished"] or r["num_tokens"] == 8) for r in rows)
    # the same weights and seed give the same completions under both labels
    assert [r["completion"] for r in rows if r["label"] == "original"] == [
        r["completion"] for r in rows if r["label"] == "trained"
    ]
    assert [json.loads(line) for line in (out / "side_by_side.jsonl").read_text().splitlines()] == rows
    markdown = (out / "side_by_side.md").read_text()
    assert markdown.startswith("## How much is 1+1?\n\n### original: ")
    assert f"### trained (sample 1): {rows[3]['num_tokens']} tokens" in markdown
    assert markdown in capsys.readouterr().out


def test_side_by_side_defaults_and_errors(tmp_path):
    args = side_by_side.build_parser().parse_args(["--models", "m"])
    assert side_by_side.read_questions(args) == ["How much is 1+1?"]  # the paper's Appendix A question
    with pytest.raises(ValueError, match="2 labels for 1 models"):
        side_by_side.main(["--models", "m", "--labels", "a", "b"])
    empty = tmp_path / "q.txt"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="q.txt: no questions"):
        side_by_side.main(["--models", "m", "--questions_file", str(empty)])
