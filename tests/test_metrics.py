import math

import pytest

from efficient_reasoning.metrics import (
    at_cutoff,
    bootstrap_interval,
    by_level,
    cutoff_curve,
    majority_correct,
    pass_at_k,
    summarize,
)


def sample(pid, idx, correct, tokens, finished=True, answer=None, level=None):
    return {
        "problem_id": pid, "sample_index": idx, "correct": correct, "num_tokens": tokens, "finished": finished,
        "extracted_answer": answer, "level": level,
    }  # fmt: skip


def test_pass_at_k_hand_computed():
    assert pass_at_k(5, 2, 3) == pytest.approx(0.9)  # 1 - C(3,3)/C(5,3) = 1 - 1/10
    assert pass_at_k(10, 1, 1) == pytest.approx(0.1)
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(4, 2, 3) == 1.0  # fewer than k wrong samples
    assert pass_at_k(6, 3, 2) == pytest.approx(1 - 3 / 15)
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)


def test_majority_vote():
    group = [
        sample("p", 0, False, 10, answer="3"),
        sample("p", 1, True, 10, answer="4"),
        sample("p", 2, False, 10, answer="3"),
        sample("p", 3, True, 10, finished=False, answer="4"),  # unfinished: no vote
    ]
    assert majority_correct(group) is False
    assert majority_correct([sample("p", 0, True, 5, answer="4"), sample("p", 1, False, 5, answer="5")]) is True
    assert majority_correct([sample("p", 0, False, 5)]) is False


def test_summarize_hand_computed():
    samples = [
        sample("a", 0, True, 100, answer="1"), sample("a", 1, False, 300, answer="2"),
        sample("b", 0, True, 50, answer="7"), sample("b", 1, True, 70, answer="7"),
        sample("c", 0, False, 1000, finished=False), sample("c", 1, False, 200, answer="9"),
    ]  # fmt: skip
    m = summarize(samples)
    assert m["num_problems"] == 3 and m["k"] == 2
    assert m["pass_rate"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert m["pass@2"] == pytest.approx((1 + 1 + 0) / 3)
    assert m["majority_vote"] == pytest.approx(2 / 3)  # a: tie 1 vs 2 -> first seen ("1", correct); b: 7; c: 9 wrong
    assert m["avg_tokens"] == pytest.approx(1720 / 6)
    assert m["avg_tokens_correct"] == pytest.approx(220 / 3)
    assert m["truncated_frac"] == pytest.approx(1 / 6)
    lo, hi = m["pass_rate_ci95"]
    assert 0 <= lo <= m["pass_rate"] <= hi <= 1


def test_bootstrap_fixed_seed():
    values = [0.0, 1.0] * 50
    a = bootstrap_interval(values, num_resamples=500, seed=3)
    assert a == bootstrap_interval(values, num_resamples=500, seed=3)
    # the mean of 100 fair coin flips: standard error 0.05, so the 95% interval is about 0.5 +- 0.1
    assert a[0] == pytest.approx(0.4, abs=0.03) and a[1] == pytest.approx(0.6, abs=0.03)
    assert bootstrap_interval([0.7] * 10) == pytest.approx((0.7, 0.7))
    assert all(math.isnan(x) for x in bootstrap_interval([]))


def test_cutoff_derivation():
    samples = [
        sample("a", 0, True, 7000), sample("a", 1, True, 9000), sample("a", 2, False, 20000, finished=False),
        sample("b", 0, True, 8000), sample("b", 1, False, 12000), sample("b", 2, True, 31000),
    ]  # fmt: skip
    cut = at_cutoff(samples, 8000)
    assert [s["correct"] for s in cut] == [True, False, False, True, False, False]
    assert [s["num_tokens"] for s in cut] == [7000, 8000, 8000, 8000, 8000, 8000]
    assert [s["finished"] for s in cut] == [True, False, False, True, False, False]
    curve = cutoff_curve(samples, max_tokens=32768)
    assert list(curve) == ["8000", "12000", "16000", "20000", "24000", "32000"]
    assert curve["8000"]["pass_rate"] == pytest.approx((1 / 3 + 1 / 3) / 2)
    assert curve["12000"]["pass_rate"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert curve["32000"]["pass_rate"] == pytest.approx(summarize(samples)["pass_rate"])
    assert curve["32000"]["avg_tokens"] == pytest.approx(summarize(samples)["avg_tokens"])
    assert list(cutoff_curve(samples, max_tokens=16000)) == ["8000", "12000", "16000"]


def test_by_level():
    samples = [
        sample("a", 0, True, 10, level=1),
        sample("b", 0, False, 30, level=5),
        sample("b", 1, True, 50, level=5),
    ]
    assert by_level(samples) == {
        "1": {"num_problems": 1, "pass_rate": 1.0, "avg_tokens": 10.0},
        "5": {"num_problems": 1, "pass_rate": 0.5, "avg_tokens": 40.0},
    }
