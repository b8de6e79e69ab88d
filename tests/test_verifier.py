import json
import math
import time
from pathlib import Path

import pytest

from efficient_reasoning.verifier import (
    Verifier,
    check_answer,
    extract_answer,
    is_scorable_gold,
    last_boxed,
    normalize_answer,
    pool_context,
)


@pytest.fixture(scope="module")
def verifier():
    v = Verifier(timeout=5.0, num_workers=2)  # generous: these tests check verdicts, not time
    yield v
    v.close()


def test_last_boxed():
    assert last_boxed("a \\boxed{1} then \\boxed{\\frac{1}{2}} end") == "\\frac{1}{2}"
    assert last_boxed("\\boxed {x^{2}}") == "x^{2}"
    assert last_boxed("\\fbox{7}.") == "7"
    assert last_boxed("no answer") is None
    assert last_boxed("\\boxed{unclosed") is None
    assert last_boxed("\\boxed{3} and a stray \\boxed") == "3"


def test_normalize_answer():
    assert normalize_answer("104.") == "104"
    assert normalize_answer("$\\boxed{104.}$") == "104"
    assert normalize_answer(" 025 ") == "025"


@pytest.mark.parametrize(
    ("completion", "gold", "expected"),
    [
        ("so the answer is \\boxed{25}", "025", 1.0),
        ("\\boxed{104}", "104.", 1.0),
        ("\\boxed{104.}", "104", 1.0),
        ("\\boxed{\\dfrac{1}{2}}", "\\frac{1}{2}", 1.0),
        ("\\boxed{\\frac12}", "\\frac{1}{2}", 1.0),
        ("\\boxed{(3, \\frac{\\pi}{2})}", "\\left( 3, \\frac{\\pi}{2} \\right)", 1.0),
        ("\\boxed{24}", "25", 0.0),
        ("the answer is 25", "25", 1.0),  # no \\boxed{}: the stated answer (default "paper" extraction)
        ("\\boxed{25} wait, no: \\boxed{26}", "25", 0.0),  # the last box counts
    ],
)
def test_verdicts(verifier, completion, gold, expected):
    assert verifier([completion], [gold]) == [expected]


def test_strict_boxed_extraction_reads_only_boxes():
    strict = Verifier(timeout=5.0, num_workers=0, extraction="boxed")
    assert strict(["the answer is 25", "#### 25", "\\boxed{25}"], ["25"] * 3) == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="unknown answer extraction 'last'"):
        Verifier(extraction="last")


def test_unfinished_completion_is_incorrect(verifier):
    assert verifier(["\\boxed{25}", "\\boxed{25}"], ["25", "25"], finished=[True, False]) == [1.0, 0.0]


def test_unparseable_gold_is_unscorable():
    assert math.isnan(check_answer("1", ""))


def test_length_mismatch_is_an_error(verifier):
    with pytest.raises(ValueError, match="2 completions, 1 gold"):
        verifier(["a", "b"], ["1"])


def test_pathological_completions_are_bounded():
    verifier = Verifier(timeout=1.0, num_workers=2)
    try:
        tower = "Thinking... \\boxed{9^{9^{9^{9}}}}"
        huge = "x" * 5_000_000 + "\\boxed{" + "9" * 200_000 + "}"
        batch = [tower, huge, "\\boxed{2}", tower, "\\boxed{3}"]
        start = time.perf_counter()
        scores = verifier(batch, ["5", "7", "2", "5", "3"])
        elapsed = time.perf_counter() - start
        assert math.isnan(scores[0]) and math.isnan(scores[3])
        assert scores[2] == 1.0 and scores[4] == 1.0
        assert scores[1] in (0.0,) or math.isnan(scores[1])
        # two workers, each check stopped at 1 s of CPU time or 2 s of wall time (the backstop on a busy machine):
        # three pathological checks take two rounds, below math-verify's 5 s default for one pathological answer
        assert elapsed < 2 * verifier.wall_timeout + 1.5
        assert verifier(["\\boxed{4}"], ["4"]) == [1.0]  # the pool recovered from the killed workers
    finally:
        verifier.close()


def _jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_math500_golds_verify_against_themselves(shared_data, verifier):
    rows = _jsonl(shared_data / "eval" / "math500.jsonl")
    golds = [r["answer"] for r in rows]
    scores = verifier([f"The answer is \\boxed{{{g}}}." for g in golds], golds)
    failures = [(r["unique_id"], g) for r, g, s in zip(rows, golds, scores) if s != 1.0]
    assert len(rows) == 500 and failures == []


def test_aime_golds_verify_against_themselves(shared_data, verifier):
    import datasets

    aime = _jsonl(shared_data / "eval" / "aime24.jsonl")
    golds = [r["answer"] for r in aime]
    assert any(g.startswith("0") for g in golds)  # zero-padded, e.g. 025
    assert verifier([f"\\boxed{{{g}}}" for g in golds], golds) == [1.0] * 30
    # the same answers unpadded, as a model writes them
    assert verifier([f"\\boxed{{{int(g)}}}" for g in golds], golds) == [1.0] * 30

    paper = datasets.load_from_disk(str(shared_data / "paper" / "converted_aime_dataset"))
    for split in ("train", "test"):
        golds = paper[split]["solution"]  # `\boxed{N}`, one of them `\boxed{104.}`
        assert verifier([f"So {g}" for g in golds], golds) == [1.0] * len(golds), split
    # the paper's AIME 2024 agrees with the padded answers of the other copy
    by_number = sorted(int(normalize_answer(g)) for g in paper["test"]["solution"])
    assert by_number == sorted(int(g) for g in (r["answer"] for r in aime))


CASES = [Path(__file__).parent / "cases" / name for name in ("verifier_cases.jsonl", "math_verify_cases.jsonl")]


@pytest.fixture(scope="module")
def labelled():
    """(case, project score, plain math-verify score) for every labelled case: tests/cases/make_verifier_cases.py
    (every kind of issues 12 and 25, right and wrong) and make_math_verify_cases.py (math-verify's own tests)."""
    from math_verify import parse, verify

    inline = Verifier(num_workers=0)
    rows = []
    for case in (c for path in CASES for c in _jsonl(path)):
        kind = "choice" if case["kind"] == "choice" else "math"
        ours = inline([case["completion"]], [case["gold"]], kind=kind)[0]
        try:
            plain = float(verify(parse(case["gold"]), parse(case["completion"])))
        except Exception:
            plain = math.nan
        rows.append((case, ours, plain))
    return rows


def test_agrees_with_the_labelled_cases(labelled):
    """Every labelled case gets its verdict; in particular no wrong answer is accepted."""
    assert len(labelled) >= 1000 and {c["expected"] for c, _, _ in labelled} == {0, 1}
    wrong = [(c["kind"], c["completion"][-60:], c["gold"], s) for c, s, _ in labelled if s != c["expected"]]
    assert wrong == []


def test_no_kind_where_plain_math_verify_does_better(labelled):
    """Per kind of case, the checker agrees with the labels at least as often as plain `verify(parse(gold),
    parse(completion))`, with no false positive; plain math-verify is behind on some kinds (else the cases test
    nothing)."""
    by_kind: dict[str, list[int]] = {}
    for case, ours, plain in labelled:
        row = by_kind.setdefault(case["kind"], [0, 0, 0])
        row[0] += ours == case["expected"]
        row[1] += plain == case["expected"]
        row[2] += ours == 1.0 and case["expected"] == 0
    for kind in ("relations", "matrix", "stated_text", "decimal_comma", "box_words", "mv_relations", "qwen_grader"):
        assert kind in by_kind
    assert {k: r for k, r in by_kind.items() if r[0] < r[1] or r[2]} == {}
    assert any(r[1] < r[0] for r in by_kind.values())


SMOLLM2_CASES = Path(__file__).parent / "cases" / "smollm2_cases.jsonl"


def test_agrees_with_hand_labels_of_a_real_models_answers():
    """230 finished answers of SmolLM2-135M-Instruct to the generated word problems (sampled at temperature 0.8 with
    the plain question, the question and "Put the final answer in \\boxed{}.", and prompts with placeholders such
    as `\\boxed{N}`), each labelled by a reader with the final answer it commits to: boxed, empty or placeholder
    boxes, stated answers, several numbers, no answer. benchmarks/README.md lists the disagreements."""
    cases = _jsonl(SMOLLM2_CASES)
    assert len(cases) >= 150 and len({c["category"] for c in cases}) == 6
    inline = Verifier(num_workers=0)  # the evaluation's rule, "paper"
    scores = inline([c["completion"] for c in cases], [c["gold"] for c in cases])
    agree = sum((s == 1.0) == (c["expected"] == 1) for c, s in zip(cases, scores))
    false_positives = sum(s == 1.0 and c["expected"] == 0 for c, s in zip(cases, scores))
    assert agree / len(cases) >= 0.96 and false_positives <= 2, (agree, false_positives)
    # every answer in a non-empty box and every stated answer gets the reader's verdict
    for category in ("boxed", "unboxed_stated", "unboxed_last_number"):
        assert all((s == 1.0) == (c["expected"] == 1) for c, s in zip(cases, scores) if c["category"] == category)


@pytest.mark.parametrize(
    ("text", "extraction", "expected"),
    [
        ("so the final answer is $4$.", "paper", "4"),
        ("so the final answer is $4$.", "boxed", None),
        ("Janet makes 9 * 2 = 18 dollars.\n#### 18", "paper", "18"),
        ("we get 3 and then 7 apples", "paper", "7"),
        ("The answer is 5, not 4 as I first thought.", "paper", "5"),
        ("$\\boxed{-2} \\text{ and } \\boxed{1}$", "boxed", "-2, 1"),
        ("\\boxed{25} wait, no: \\boxed{26}", "paper", "26"),
        ("\\boxed{7} so it is \\boxed{7}", "boxed", "7"),
        ("nothing here", "paper", None),
        ("AZYUK2A", "paper", None),  # a number glued to letters is no answer (math-verify's rule)
        # no box: math-verify's own extraction (a stated answer in a sentence, the last math span or number)
        ("Final Answer: The volume of the box is 120.", "paper", "120"),
        ("Therefore $x \\geq 5$ is the solution.", "paper", "x \\geq 5"),
        ("The price is 2,74 euros.", "paper", "2.74"),
        ("So the matrix is $\\begin{pmatrix}1\\\\2\\end{pmatrix}$.", "paper", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
        # the stated form of Qwen2.5-Math's grader comes before a box; the last one counts
        ("\\boxed{3}. The final answer is $4$. I hope it is correct. The final answer is $5$. I hope", "paper", "5"),
        ("\\boxed{3}. The final answer is $4$. I hope it is correct.", "boxed", "3"),
        # a run-on into the next chat turn is not read
        ("\\boxed{4}<|im_end|>\n<|im_start|>user\nAnd 2+3? \\boxed{5}", "boxed", "4"),
        ("The answer is 7<｜end▁of▁sentence｜>The answer is 8", "paper", "7"),
        # boxes joined by a short phrase with "and" / "or" are one answer; a comma alone does not join them
        ("There are \\boxed{1} papers and \\boxed{2} bins.", "boxed", "1, 2"),
        ("So $x = \\boxed{1}$ or $x = \\boxed{2}$.", "boxed", "1, 2"),
        ("I got \\boxed{1} at first, but it is wrong: \\boxed{2}", "boxed", "2"),
        # an empty box (a small model copying the prompt's `\\boxed{}`) is no answer: the stated one is read
        ("So she has 6 apples. The answer is 6.\n\\boxed{}", "paper", "6"),
        ("#### 7\nThe answer is \\boxed{}.", "paper", "7"),
        ("So she has 6 apples.\n\\boxed{}", "boxed", ""),
    ],
)
def test_extract_answer(text, extraction, expected):
    assert extract_answer(text, extraction) == expected


def test_extract_answer_choice_and_bad_settings():
    assert extract_answer("The answer is B.", "paper", kind="choice") == "B"
    assert extract_answer("The answer is B.", "boxed", kind="choice") is None
    assert extract_answer("\\boxed{(C)}", "boxed", kind="choice") == "C"
    with pytest.raises(ValueError, match="unknown answer extraction 'first'"):
        extract_answer("\\boxed{1}", "first")
    with pytest.raises(ValueError, match="unknown answer kind 'code'"):
        extract_answer("\\boxed{1}", "paper", kind="code")


def test_is_scorable_gold():
    assert is_scorable_gold("\\frac{1}{2}") and is_scorable_gold("(2,\\infty)") and is_scorable_gold("1{,}000")
    assert not is_scorable_gold("") and not is_scorable_gold("\\frac{")
    # prose that math-verify reads as a product of symbols
    assert not is_scorable_gold("see figure") and not is_scorable_gold("answer is in the text")
    assert is_scorable_gold("\\text{Evelyn}") and is_scorable_gold("\\sin x + \\cos x") and is_scorable_gold("x^2 + 1")


def test_pool_is_not_forked_and_restarts_fast_after_a_kill():
    assert pool_context().get_start_method() == "forkserver"
    # a wall-clock bound far below the CPU bound: the power tower's worker is killed, the next check gets a new one
    verifier = Verifier(timeout=30.0, wall_timeout=1.0, num_workers=1)
    try:
        assert verifier(["\\boxed{2}"], ["2"]) == [1.0]  # start the forkserver outside the timing
        assert math.isnan(verifier(["\\boxed{9^{9^{9^{9}}}}"], ["5"])[0])
        start = time.perf_counter()
        assert verifier(["\\boxed{\\frac{1}{2}}", "\\boxed{3}"], ["0.5", "4"]) == [1.0, 0.0]
        assert time.perf_counter() - start < 5.0  # a worker from the warm forkserver, not a cold interpreter
    finally:
        verifier.close()


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_no_timeout_for_ordinary_answers_under_load():
    """Two busy processes per core-pair keep the CPU saturated; the default bound (1 s of CPU time per check) must
    not turn ordinary checks into NaN."""
    import multiprocessing

    verifier = Verifier(num_workers=2)
    golds = ["\\frac{1}{2}", "(2,\\infty)", "3\\sqrt{2}", "x^2 + 1", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", "104"]
    completions = [f"{'Some reasoning. ' * 200}\\boxed{{{g}}}" for g in golds] * 8
    busy = [multiprocessing.get_context("spawn").Process(target=_busy, args=(60.0,)) for _ in range(4)]
    try:
        verifier(completions[:1], golds[:1])
        for p in busy:
            p.start()
        scores = verifier(completions, golds * 8)
        assert scores == [1.0] * len(completions)
    finally:
        for p in busy:
            p.terminate()
            p.join()
        verifier.close()
