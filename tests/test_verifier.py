import json
import math
import time

import pytest

from efficient_reasoning.verifier import Verifier, check_answer, last_boxed, normalize_answer


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
        # two workers, each at most ~1 s per check: far below math-verify's 5 s default per pathological answer
        assert elapsed < 6.0
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
