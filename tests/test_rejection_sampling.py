import pytest

from efficient_reasoning import rejection_sampling
from efficient_reasoning.rejection_sampling import build_datasets, select_pairs


def s(pid, idx, correct, tokens, text=None):
    return {
        "problem_id": pid, "sample_index": idx, "correct": correct, "num_tokens": tokens,
        "completion": text or f"{pid}-{idx}", "finished": True,
    }  # fmt: skip


def test_selection_rules():
    samples = [
        # p1: correct at 30, 10, 10 (a tie: the lower index wins), 50; an incorrect shorter one is ignored
        s("p1", 0, True, 30), s("p1", 1, True, 10), s("p1", 2, True, 10), s("p1", 3, True, 50), s("p1", 4, False, 5),
        # p2: no correct response: neither SFT nor DPO
        s("p2", 0, False, 10), s("p2", 1, False, 20),
        # p3: one correct response: SFT but no DPO pair
        s("p3", 0, False, 5), s("p3", 1, True, 40),
        # p4: two correct of the same length: SFT, but no pair (nothing to prefer)
        s("p4", 0, True, 25), s("p4", 1, True, 25),
        # p5: longest tie: the lower index is the rejected one
        s("p5", 0, True, 9), s("p5", 1, True, 70), s("p5", 2, True, 70),
    ]  # fmt: skip
    sft, dpo = select_pairs(samples)
    assert {k: v["sample_index"] for k, v in sft.items()} == {"p1": 1, "p3": 1, "p4": 0, "p5": 0}
    assert {k: (c["sample_index"], r["sample_index"]) for k, (c, r) in dpo.items()} == {"p1": (1, 3), "p5": (0, 1)}


def test_datasets_are_in_trl_conversational_format():
    problems = [
        {"problem_id": "p1", "question": "What is 1 + 1?", "answer": "2"},
        {"problem_id": "p2", "question": "Q2", "answer": "3"},
    ]
    samples = [
        s("p1", 0, True, 5, "short \\boxed{2}"),
        s("p1", 1, True, 9, "long long \\boxed{2}"),
        s("p2", 0, False, 3),
    ]
    sft, dpo = build_datasets(problems, samples, "Solve: {question}")
    assert sft.to_list() == [
        {
            "prompt": [{"role": "user", "content": "Solve: What is 1 + 1?"}],
            "completion": [{"role": "assistant", "content": "short \\boxed{2}"}],
            "num_tokens": 5,
        }
    ]
    assert dpo.to_list() == [
        {
            "prompt": [{"role": "user", "content": "Solve: What is 1 + 1?"}],
            "chosen": [{"role": "assistant", "content": "short \\boxed{2}"}],
            "rejected": [{"role": "assistant", "content": "long long \\boxed{2}"}],
        }
    ]


def test_no_correct_anywhere_gives_empty_datasets():
    sft, dpo = build_datasets(
        [{"problem_id": "p", "question": "q", "answer": "1"}], [s("p", 0, False, 3)], "{question}"
    )
    assert len(sft) == 0 and len(dpo) == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [([{"problem": "q"}], r"missing column\(s\) \['answer'\]"), ([{"problem": "", "answer": "1"}], "row 0: empty")],
)
def test_bad_prompts_are_reported(tmp_path, bad, message):
    import json

    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in bad))
    with pytest.raises(ValueError, match=message):
        rejection_sampling.main(
            ["--model", "unused", "--dataset_name", str(path), "--output_dir", str(tmp_path / "o")]
        )


def test_empty_datasets_save_and_load(tmp_path):
    from datasets import load_from_disk

    sft, dpo = build_datasets([{"problem_id": "p", "question": "q", "answer": "1"}], [], "{question}")
    for name, dataset in (("sft", sft), ("dpo", dpo)):
        dataset.save_to_disk(str(tmp_path / name), num_shards=1)
        assert len(load_from_disk(str(tmp_path / name))) == 0
    assert set(load_from_disk(str(tmp_path / "dpo")).column_names) == {"prompt", "chosen", "rejected"}
