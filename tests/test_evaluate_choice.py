"""Multiple-choice evaluation (CommonsenseQA, BIG-Bench Hard Logical Deduction): scoring, loading, the harness."""

import pytest

from efficient_reasoning.verifier import Verifier


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
        ("The answer is a library", "A", 0.0),  # the article "a" is not option A
        ("no letter at all", "A", 0.0),
    ],
)
def test_choice_mode(verifier, completion, gold, expected):
    assert verifier([completion], [gold], kind="choice") == [expected]


def test_choice_mode_truncated_is_wrong(verifier):
    assert verifier(["\\boxed{B}", "\\boxed{B}"], ["B", "B"], finished=[True, False], kind="choice") == [1.0, 0.0]
