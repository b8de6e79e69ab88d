"""Multiple-choice evaluation (CommonsenseQA, BIG-Bench Hard Logical Deduction): scoring, loading, the harness."""

import json
from collections import Counter

import pytest
from datasets import Dataset

from efficient_reasoning import evaluate
from efficient_reasoning.evaluate import BENCHMARKS, load_problems
from efficient_reasoning.generation import Generation, SamplingSettings
from efficient_reasoning.verifier import Verifier

CSQA_FILE = "commonsenseqa_dev_rand_split.jsonl"


@pytest.fixture(scope="module")
def verifier():
    v = Verifier(timeout=5.0, num_workers=1)
    yield v
    v.close()


@pytest.mark.parametrize(
    ("completion", "gold", "expected"),
    [
        ("Reasoning... \\boxed{B}", "B", 1.0),
        ("\\boxed{(B)}", "B", 1.0),
        ("\\boxed{\\text{B}}", "B", 1.0),
        ("\\boxed{B) library}", "B", 1.0),
        ("The answer is (C).", "C", 1.0),
        ("so the answer: (B)", "B", 1.0),
        ("Not (A) but (D)", "D", 1.0),
        ("The answer is (C).", "B", 0.0),
        ("\\boxed{A} first, then \\boxed{E}", "A", 0.0),  # the last box counts
        ("\\boxed{library}", "B", 0.0),  # an option's text is not its letter
        ("no letter at all", "A", 0.0),
    ],
)
def test_choice_mode(verifier, completion, gold, expected):
    assert verifier([completion], [gold], kind="choice") == [expected]


def test_choice_mode_truncated_is_wrong(verifier):
    assert verifier(["\\boxed{B}", "\\boxed{B}"], ["B", "B"], finished=[True, False], kind="choice") == [1.0, 0.0]


# --- loading ---------------------------------------------------------------------------------------------------


def test_shared_commonsenseqa(shared_data, verifier):
    problems = load_problems(BENCHMARKS["commonsenseqa"], str(shared_data / "eval_ood" / CSQA_FILE))
    assert len(problems) == 1221 and len({p["problem_id"] for p in problems}) == 1221
    first = problems[0]
    assert first["problem_id"] == "1afa02df02c908a558b4036e80242fac" and first["answer"] == "A"
    assert first["question"].endswith(
        "at a what?\nOptions:\n(A) bank\n(B) library\n(C) department store\n(D) mall\n(E) new york"
    )
    assert Counter(p["answer"] for p in problems) == {"A": 239, "B": 255, "C": 241, "D": 251, "E": 235}
    golds = [p["answer"] for p in problems]
    assert verifier([f"\\boxed{{{g}}}" for g in golds], golds, kind="choice") == [1.0] * 1221


def test_shared_logical_deduction(shared_data):
    problems = load_problems(BENCHMARKS["logical_deduction"], str(shared_data / "eval_ood"))
    assert len(problems) == 750 and len({p["problem_id"] for p in problems}) == 750
    assert Counter(p["level"] for p in problems) == {3: 250, 5: 250, 7: 250}
    sevens = [p for p in problems if p["level"] == 7]
    assert Counter(p["answer"] for p in sevens) == {"A": 37, "B": 38, "C": 38, "D": 38, "E": 34, "F": 33, "G": 32}
    assert all("\nOptions:\n(A) " in p["question"] for p in problems)
    # --limit applies per size, so every size stays represented
    limited = load_problems(BENCHMARKS["logical_deduction"], str(shared_data / "eval_ood"), limit=2)
    assert [p["level"] for p in limited] == [3, 3, 5, 5, 7, 7]


def test_hub_layouts(monkeypatch):
    """The Hub's flat CommonsenseQA columns and BBH's per-size configs, as `datasets` returns them."""
    calls = []

    def fake_load_any(name, config=None, split="train"):
        calls.append((name, config, split))
        if name == "tau/commonsense_qa":
            return Dataset.from_list([{"id": "q1", "question": "Where?", "question_concept": "x", "answerKey": "B",
                                       "choices": {"label": ["A", "B"], "text": ["here", "there"]}}])  # fmt: skip
        return Dataset.from_list([{"input": f"{config}?\nOptions:\n(A) x\n(B) y", "target": "(B)"}])

    monkeypatch.setattr(evaluate, "load_any", fake_load_any)
    csqa = load_problems(BENCHMARKS["commonsenseqa"])
    assert csqa == [{"problem_id": "q1", "question": "Where?\nOptions:\n(A) here\n(B) there", "answer": "B",
                     "level": None}]  # fmt: skip
    ld = load_problems(BENCHMARKS["logical_deduction"])
    assert [(p["problem_id"], p["level"], p["answer"]) for p in ld] == [
        ("logical_deduction_three_objects-0", 3, "B"),
        ("logical_deduction_five_objects-0", 5, "B"),
        ("logical_deduction_seven_objects-0", 7, "B"),
    ]
    assert calls == [("tau/commonsense_qa", None, "validation")] + [
        ("lukaemon/bbh", f"logical_deduction_{n}_objects", "test") for n in ("three", "five", "seven")
    ]


def test_bad_choice_rows_are_reported(tmp_path):
    rows = [
        {"id": "a", "answerKey": "A", "question": {"stem": "ok?", "choices": [{"label": "A", "text": "x"}]}},
        {"id": "b", "answerKey": "Z1", "question": {"stem": "bad key", "choices": [{"label": "A", "text": "x"}]}},
        {"id": "c", "answerKey": "C", "question": {"stem": "not an option", "choices": [{"label": "A", "text": "x"}]}},
        {"id": "d", "answerKey": "A", "question": {"stem": "no options", "choices": []}},
    ]
    path = tmp_path / "csqa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError) as err:
        load_problems(BENCHMARKS["commonsenseqa"], str(path))
    message = str(err.value)
    assert "3 bad row(s) in commonsenseqa" in message
    assert f"{path}:2: missing answer in 'answerKey'" in message
    assert f"{path}:3: answer 'C' is not among the options" in message
    assert f"{path}:4: bad options in 'choices'" in message
    (tmp_path / "bbh_logical_deduction_three_objects.json").write_text(json.dumps([{"input": "x", "target": "(A)"}]))
    with pytest.raises(ValueError, match="three_objects.json: expected a JSON object with a 'examples' list"):
        load_problems(BENCHMARKS["logical_deduction"], str(tmp_path))
    bbh = tmp_path / "bbh_logical_deduction_three_objects.json"
    bbh.write_text(json.dumps({"examples": [{"input": "x\nOptions:\n(A) a\n(B) b", "target": "(C)"}]}))
    with pytest.raises(ValueError, match=f"{bbh}:1: answer 'C' is not among the options"):
        load_problems(BENCHMARKS["logical_deduction"], str(tmp_path))


# --- the harness -----------------------------------------------------------------------------------------------


class ScriptedGenerator:
    """Answers each prompt with a fixed completion, and records the prompts."""

    tokenizer = None

    def __init__(self, answers: dict[str, str]):
        self.answers, self.prompts = answers, []

    def stream(self, prompts, n, temperature, top_p, max_tokens, seeds):
        self.prompts += prompts
        out = []
        for prompt in prompts:
            text = next(a for marker, a in self.answers.items() if marker in prompt)
            out.append([Generation(text, len(text.split()) + 1, True) for _ in range(n)])
        yield list(range(len(prompts))), out


def test_choice_benchmark_scoring(tmp_path, verifier):
    problems = [
        {"problem_id": "p1", "question": "Q1?\nOptions:\n(A) x\n(B) y", "answer": "B", "level": 3},
        {"problem_id": "p2", "question": "Q2?\nOptions:\n(A) x\n(B) y\n(C) z", "answer": "C", "level": 5},
        {"problem_id": "p3", "question": "Q3?\nOptions:\n(A) x\n(B) y", "answer": "A", "level": 5},
    ]
    generator = ScriptedGenerator({"Q1": "so \\boxed{B}", "Q2": "The answer is (C).", "Q3": "The answer is (B)."})
    settings = SamplingSettings(evaluate.CHOICE_PROMPT, use_chat_template=False, max_tokens=100)
    metrics = evaluate.evaluate_benchmark(
        BENCHMARKS["logical_deduction"], problems, generator, verifier, tmp_path, 2, settings, cutoffs=()
    )
    assert generator.prompts[0] == (
        "Please reason step by step, and put the letter of your final answer within \\boxed{}. "
        "Question: Q1?\nOptions:\n(A) x\n(B) y"
    )
    assert metrics["pass_rate"] == pytest.approx(2 / 3)
    assert metrics["by_level"]["3"]["pass_rate"] == 1.0 and metrics["by_level"]["5"]["pass_rate"] == 0.5
    rows = [json.loads(line) for line in (tmp_path / "logical_deduction" / "samples.jsonl").read_text().splitlines()]
    assert [r["correct"] for r in rows] == [True, True, True, True, False, False]
    assert {r["extracted_answer"] for r in rows if r["problem_id"] == "p1"} == {"B"}


def test_end_to_end_on_the_tiny_model(tmp_path, tiny):
    csqa = tmp_path / "csqa.jsonl"
    choices = [{"label": label, "text": f"place {label}"} for label in "ABCDE"]
    rows = [{"id": f"q{i}", "answerKey": "ABC"[i], "question": {"stem": f"Where is {i}?", "choices": choices}}
            for i in range(3)]  # fmt: skip
    csqa.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    args = ["--model", str(tiny / "model"), "--backend", "transformers", "--benchmarks", "commonsenseqa",
            "--data_file", f"commonsenseqa={csqa}", "--max_tokens", "16", "--output_dir", str(out),
            "--cutoffs", "8"]  # fmt: skip
    results = evaluate.main(args)
    m = results["commonsenseqa"]
    assert m["num_problems"] == 3 and m["k"] == 1  # the benchmark's default k
    assert 0 <= m["pass_rate"] <= 1 and 1 <= m["avg_tokens"] <= 16 and set(m["cutoffs"]) == {"8"}
    assert len(m["pass_rate_ci95"]) == 2
    run = json.loads((out / "run.json").read_text())
    assert run["benchmarks"]["commonsenseqa"]["prompt_template"] == evaluate.CHOICE_PROMPT  # this benchmark's own
    with pytest.raises(ValueError, match="'commonsenseqa' with .*prompt_template"):
        evaluate.main([*args, "--choice_prompt_template", "Answer with a letter. {question}"])
