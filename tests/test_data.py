import json

import pytest
from datasets import Dataset

from efficient_reasoning import data
from efficient_reasoning.data import is_numeric_answer, load_any, prepare_training_set, to_prompts


def test_to_prompts_uses_the_paper_template():
    ds = to_prompts(Dataset.from_list([{"q": "What is 1 + 1?", "a": 2}]), "q", "a")
    assert ds[0]["prompt"] == [
        {
            "role": "user",
            "content": "Please reason step by step, and put your final answer within \\boxed{}. "
            "Question: What is 1 + 1?",
        }
    ]
    assert ds[0]["answer"] == "2"


def test_to_prompts_errors_name_the_problem():
    rows = Dataset.from_list([{"problem": "p", "answer": "1"}, {"problem": " ", "answer": "2"}])
    with pytest.raises(
        ValueError, match=r"missing column\(s\) \['question'\].*available columns: \['problem', 'answer'\]"
    ):
        to_prompts(rows, "question", "answer", where="x.jsonl")
    with pytest.raises(ValueError, match=r"x.jsonl: 1 row\(s\) with an empty 'problem' or 'answer', e.g. rows \[1\]"):
        to_prompts(rows, "problem", "answer", where="x.jsonl")
    with pytest.raises(ValueError, match="x.jsonl: the dataset is empty"):
        to_prompts(rows.select([]), "problem", "answer", where="x.jsonl")


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet", "disk"])
def test_load_any_local_formats(tmp_path, suffix):
    rows = [{"problem": "p1", "answer": "1"}, {"problem": "p2", "answer": "2"}]
    ds = Dataset.from_list(rows)
    path = tmp_path / f"d{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif suffix == ".json":
        path.write_text(json.dumps(rows))
    elif suffix == ".parquet":
        ds.to_parquet(path)
    else:
        ds.save_to_disk(path)
    assert load_any(str(path)).to_list() == rows


def test_load_any_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.jsonl"):
        load_any(str(tmp_path / "missing.jsonl"))


@pytest.mark.parametrize(
    ("answer", "numeric"),
    [
        ("42", True),
        ("-3.5", True),
        ("\\frac{3}{4}", True),
        ("\\dfrac{3}{4}", True),
        ("104.", True),
        ("$7$", True),
        ("x^2", False),
        ("(1, 2)", False),
        ("\\sqrt{2}", False),
        ("", False),
        (None, False),
    ],
)
def test_is_numeric_answer(answer, numeric):
    assert is_numeric_answer(answer) is numeric


def test_prepare_training_set_counts_every_drop():
    rows = [
        {"source": "math", "problem": "a", "solution": "so \\boxed{12}"},
        {"source": "olympiads", "problem": "b", "solution": "\\boxed{\\frac{1}{3}}"},
        {"source": "synthetic_math", "problem": "c", "solution": "\\boxed{5}"},  # source not selected
        {"source": "cn_k12", "problem": "d", "solution": "no box"},  # no gold answer
        {"source": "amc_aime", "problem": "e", "solution": "\\boxed{x+1}"},  # not a number
        {"source": "math", "problem": "", "solution": "\\boxed{1}"},  # empty problem
    ] + [{"source": "aops_forum", "problem": f"f{i}", "solution": f"\\boxed{{{i}}}"} for i in range(10)]
    kept, dropped = prepare_training_set(Dataset.from_list(rows), num_samples=5, seed=0)
    assert dropped == {
        "source not selected": 1,
        "no gold answer": 1,
        "answer not a number": 1,
        "empty problem": 1,
        "beyond the sample size": 7,
    }
    assert len(kept) == 5 and set(kept.column_names) == {"problem", "source", "answer"}
    again, _ = prepare_training_set(Dataset.from_list(rows), num_samples=5, seed=0)
    assert kept.to_list() == again.to_list()  # seeded
    assert all(is_numeric_answer(a) for a in kept["answer"])


def test_data_cli_on_math_train(shared_data, tmp_path, capsys):
    from datasets import load_from_disk

    out = tmp_path / "math-3200"
    data.main(["--dataset_name", str(shared_data / "train" / "math_train.json"), "--output_dir", str(out)])
    report = capsys.readouterr().out
    kept = load_from_disk(str(out))
    assert len(kept) == 3200
    assert "7474 rows read" in report and "answer not a number" in report and "no gold answer" in report
    assert all(is_numeric_answer(a) for a in kept["answer"])
    # every kept row is verifiable by the project's checker
    from efficient_reasoning.verifier import Verifier

    verifier = Verifier(timeout=5.0, num_workers=2)
    try:
        assert verifier([f"\\boxed{{{a}}}" for a in kept["answer"][:200]], kept["answer"][:200]) == [1.0] * 200
    finally:
        verifier.close()


def test_nothing_kept_fails_and_writes_nothing(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"problem": "p", "answer": "x+1"}) + "\n")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"no row survives the filters \(1 answer not a number\); nothing written"):
        data.main(["--dataset_name", str(source), "--output_dir", str(out)])
    assert not out.exists()


def test_short_sample_warns_and_empty_answer_has_its_own_reason(tmp_path, caplog, capsys):
    rows = [{"problem": "a", "answer": "1"}, {"problem": "b", "answer": " "}, {"problem": "c", "answer": "y"}]
    kept, dropped = prepare_training_set(Dataset.from_list(rows), sources=None, num_samples=5)
    assert dropped == {"empty gold answer": 1, "answer not a number": 1} and len(kept) == 1
    assert "only 1 rows survive the filters, fewer than --num_prompts 5" in caplog.text
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    data.main(["--dataset_name", str(source), "--output_dir", str(tmp_path / "out"), "--num_samples", "5"])
    out = capsys.readouterr().out
    assert "kept          1 -> " in out and "(fewer than --num_prompts 5)" in out


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_malformed_json_line_is_named(tmp_path, suffix):
    path = tmp_path / f"bad{suffix}"
    lines = [json.dumps({"problem": f"p{i}", "answer": str(i)}) for i in range(50)]
    lines[41] = '{"problem": "p41", "answer": 41'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=rf"^{path}:42: not valid JSON \(.*\)$"):
        load_any(str(path))


def test_reading_a_saved_dataset_writes_nothing_into_its_folder(tmp_path):
    import os
    import stat

    folder = tmp_path / "ds"
    Dataset.from_list([{"problem": f"p{i}", "answer": str(i)} for i in range(20)]).save_to_disk(folder)
    before = sorted(os.listdir(folder))
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)  # read-only, like a shared input folder
    try:
        loaded = load_any(str(folder))
        to_prompts(loaded, "problem", "answer")
        prepare_training_set(loaded, sources=None, num_samples=5)
    finally:
        os.chmod(folder, stat.S_IRWXU)
    assert sorted(os.listdir(folder)) == before
