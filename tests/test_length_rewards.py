import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from efficient_reasoning import (
    cosine_length_reward,
    dot_reward,
    kimi_length_reward,
    l1_exact_reward,
    l1_max_reward,
    laser_reward,
    length_penalized_reward,
    overlong_penalty_reward,
    shortest_correct_reward,
    truncation_reward,
)
from efficient_reasoning.length_rewards import LENGTH_REWARDS, compute_length_reward, reward_settings
from tests import reference


def t(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


def b(values):
    return t(values, torch.bool)


def test_kimi_hand_computed():
    # min 10, max 50: lam = 0.5, 0.25, 0, -0.5; incorrect rows keep only a negative lam
    rewards = kimi_length_reward(b([[True, False, True, False]]), t([[10, 20, 30, 50]]), weight=0.5)
    assert rewards[0].tolist() == pytest.approx([1.25, 0.0, 1.0, -0.25])
    equal = kimi_length_reward(b([[True, False]]), t([[7, 7]]), weight=1.0)
    assert equal.tolist() == [[1.0, 0.0]]


def test_l1_exact_hand_computed():
    rewards = l1_exact_reward(b([[True, False, True]]), t([[100, 300, 200]]), t([[200, 200, 200]]), alpha=0.001)
    assert rewards[0].tolist() == pytest.approx([0.9, -0.1, 1.0])


def test_l1_max_hand_computed():
    # alpha * (target - len) + delta = 0.6, 0.5, -0.1 (clipped to 0), 1.5 (clipped to 1); incorrect gets 0
    rewards = l1_max_reward(
        b([[True, True, True, True, False]]),
        t([[100, 200, 800, 0, 100]]),
        t([[200, 200, 200, 1000, 200]]),
        alpha=0.001,
        delta=0.5,
    )
    assert rewards[0].tolist() == pytest.approx([0.6, 0.5, 0.0, 1.0, 0.0])


def test_overlong_hand_computed():
    lengths = t([[50, 80, 90, 100, 120]])  # penalty starts after 100 - 20 = 80 tokens
    right = overlong_penalty_reward(b([[True] * 5]), lengths, max_length=100, cache_length=20)
    wrong = overlong_penalty_reward(b([[False] * 5]), lengths, max_length=100, cache_length=20)
    assert right[0].tolist() == pytest.approx([1.0, 1.0, 0.5, 0.0, 0.0])
    assert wrong[0].tolist() == pytest.approx([0.0, 0.0, -0.5, -1.0, -1.0])


def test_truncation_hand_computed():
    rewards = truncation_reward(b([[True, True, False]]), t([[100, 101, 50]]), budget=100)
    assert rewards.tolist() == [[1.0, 0.0, 0.0]]


def test_shortest_correct_hand_computed():
    rewards = shortest_correct_reward(b([[True, False, True]]), t([[100, 50, 300]]), alpha=2.0, beta=0.01)
    assert rewards[0].tolist() == pytest.approx([2.0, -0.5, 0.0])  # SOL = 100
    none = shortest_correct_reward(b([[False, False, False]]), t([[10, 20, 30]]), alpha=2.0, beta=0.01)
    assert none[0].tolist() == pytest.approx([-0.1, 0.0, -0.1])  # SOL = mean length 20


def test_cosine_hand_computed():
    rewards = cosine_length_reward(b([[True, True, True, False, False]]), t([[0, 50, 100, 0, 50]]), max_length=100)
    assert rewards[0].tolist() == pytest.approx([2.0, 1.5, -10.0, -10.0, -5.0])


def test_laser_hand_computed():
    # target 100: correct within it 1.5, correct past it 1, wrong 0 whatever its length
    rewards = laser_reward(b([[True, True, False, True]]), t([[50, 150, 20, 100]]), targets=[100], bonus=0.5)
    assert rewards[0].tolist() == pytest.approx([1.5, 1.0, 0.0, 1.5])


def test_laser_d_picks_the_target_by_the_groups_accuracy():
    lengths = t([[60, 60, 60], [60, 60, 60], [60, 60, 60]])
    correct = b([[True, True, True], [True, False, False], [False, False, False]])  # easy, medium (1/3), hard
    rewards = laser_reward(correct, lengths, targets=[50, 80, 200], bonus=0.5)
    # easy: target 50, 60 tokens is past it; medium: target 80, within; hard: no correct answer to reward
    assert rewards.tolist() == [[1.0, 1.0, 1.0], [1.5, 0.0, 0.0], [0.0, 0.0, 0.0]]
    two_thirds = laser_reward(b([[True, True, False]]), t([[60, 60, 60]]), targets=[50, 80, 200], bonus=0.5)
    assert two_thirds.tolist() == [[1.0, 1.0, 0.0]]  # 2/3 correct is easy: target 50


def test_dot_hand_computed():
    # all correct: mean 20, sample std 20 (lengths 10 x 4, 60), cut-off floor(20 + 1 * 20) = 40; 60 - 40 >= 16
    lengths = t([[10, 10, 10, 10, 60]])
    rewards = dot_reward(b([[True] * 5]), lengths, alpha=1.0, margin=16)
    assert rewards.tolist() == [[1.0, 1.0, 1.0, 1.0, 0.0]]
    assert dot_reward(b([[True] * 5]), lengths, alpha=1.0, margin=21).tolist() == [[1.0] * 5]  # 20 < margin
    assert dot_reward(b([[True] * 3]), t([[40, 40, 40]]), alpha=0.0, margin=0).tolist() == [[1.0] * 3]  # none past
    one_wrong = dot_reward(b([[True, True, True, False, True]]), lengths, alpha=1.0, margin=16)
    assert one_wrong.tolist() == [[1.0, 1.0, 1.0, 0.0, 1.0]]  # not every answer right: no cut
    # with 8 samples no response is 2.47 std above the mean: DOT's alpha 3 (for 32 samples) never cuts
    spread = t([[10] * 7 + [10_000]])
    assert dot_reward(b([[True] * 8]), spread, alpha=3.0, margin=0).tolist() == [[1.0] * 8]
    assert dot_reward(b([[True] * 8]), spread, alpha=2.4, margin=0)[0, -1] == 0.0


ALL = {
    "kimi": lambda c, n, m: kimi_length_reward(c, n, weight=0.5),
    "l1_exact": lambda c, n, m: l1_exact_reward(c, n, target_lengths=torch.full_like(n, 100.0), alpha=0.001),
    "l1_max": lambda c, n, m: l1_max_reward(c, n, target_lengths=torch.full_like(n, 100.0), alpha=0.001, delta=0.5),
    "overlong": lambda c, n, m: overlong_penalty_reward(c, n, max_length=m, cache_length=m // 4),
    "truncation": lambda c, n, m: truncation_reward(c, n, budget=m // 2),
    "shortest_correct": lambda c, n, m: shortest_correct_reward(c, n, alpha=2.0, beta=0.001),
    "cosine": lambda c, n, m: cosine_length_reward(c, n, max_length=m),
    "laser": lambda c, n, m: laser_reward(c, n, targets=[m // 8], bonus=0.5),
    "laser_d": lambda c, n, m: laser_reward(c, n, targets=[m // 16, m // 8, m // 2], bonus=0.5),
    "dot": lambda c, n, m: dot_reward(c, n, alpha=0.5, margin=4),
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_nan_is_incorrect_and_shapes_are_kept(name):
    lengths = t([[10, 400, 30], [5, 6, 7]])
    with_nan = ALL[name](t([[1.0, math.nan, 1.0], [0.0, 1.0, math.nan]]), lengths, 512)
    without = ALL[name](t([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]), lengths, 512)
    assert with_nan.shape == (2, 3) and with_nan.dtype == torch.float32
    assert torch.equal(with_nan, without)


@pytest.mark.parametrize("name", sorted(ALL))
def test_groups_are_independent(name):
    joint = ALL[name](b([[True, False, True], [True, True, False]]), t([[10, 400, 30], [500, 3, 9]]), 512)
    first = ALL[name](b([[True, False, True]]), t([[10, 400, 30]]), 512)
    assert torch.equal(joint[:1], first)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="correct"):
        kimi_length_reward(b([True, False]), t([1, 2]), weight=1.0)
    with pytest.raises(ValueError, match="target_lengths"):
        l1_exact_reward(b([[True, False]]), t([[1, 2]]), t([[1, 2, 3]]), alpha=0.1)
    with pytest.raises(ValueError, match="weight"):
        kimi_length_reward(b([[True, False]]), t([[1, 2]]), weight=-1.0)
    with pytest.raises(ValueError, match="cache_length"):
        overlong_penalty_reward(b([[True, False]]), t([[1, 2]]), max_length=10, cache_length=20)
    with pytest.raises(ValueError, match="budget"):
        truncation_reward(b([[True, False]]), t([[1, 2]]), budget=0)
    with pytest.raises(ValueError, match="beta"):
        shortest_correct_reward(b([[True, False]]), t([[1, 2]]), alpha=1.0, beta=-0.1)
    with pytest.raises(ValueError, match="targets"):
        laser_reward(b([[True, False]]), t([[1, 2]]), targets=[10, 20])
    with pytest.raises(ValueError, match="margin"):
        dot_reward(b([[True, False]]), t([[1, 2]]), alpha=1.0, margin=-1)


def test_registry_dispatch_and_settings():
    class Args:
        length_reward = "l1_max"
        l1_alpha, l1_delta = 0.001, 0.5

    correct, lengths, targets = b([[True, True]]), t([[100, 800]]), t([[200, 200]])
    assert torch.equal(
        compute_length_reward(Args, correct, lengths, targets), l1_max_reward(correct, lengths, targets, 0.001, 0.5)
    )
    assert reward_settings(Args) == {"length_reward": "l1_max", "l1_alpha": 0.001, "l1_delta": 0.5}
    with pytest.raises(ValueError, match="target_length"):
        compute_length_reward(Args, correct, lengths)
    assert LENGTH_REWARDS["paper"].function is length_penalized_reward


groups = st.integers(min_value=2, max_value=12).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.integers(min_value=1, max_value=4096), min_size=n, max_size=n),
    )
)


def shorter_correct_never_worse(correct, lengths, rewards, tol=1e-6):
    pairs = [(n, r) for n, r, c in zip(lengths, rewards, correct) if c]
    return all(r1 >= r2 - tol for n1, r1 in pairs for n2, r2 in pairs if n1 < n2)


@settings(max_examples=200, deadline=None)
@given(groups, st.floats(min_value=0.0, max_value=1.0))
def test_kimi_properties(group, weight):
    correct, lengths = group
    rewards = kimi_length_reward(b([correct]), t([lengths]), weight)[0].tolist()
    assert rewards == pytest.approx(reference.kimi(correct, lengths, weight), abs=1e-5)
    for r, c in zip(rewards, correct):
        assert (1 - weight / 2 - 1e-6 <= r <= 1 + weight / 2 + 1e-6) if c else (-weight / 2 - 1e-6 <= r <= 0)
    assert shorter_correct_never_worse(correct, lengths, rewards)


@settings(max_examples=200, deadline=None)
@given(groups, st.integers(min_value=1, max_value=4096), st.floats(min_value=0, max_value=0.01))
def test_l1_properties(group, target, alpha):
    correct, lengths = group
    targets = [target] * len(lengths)
    exact = l1_exact_reward(b([correct]), t([lengths]), t([targets]), alpha)[0].tolist()
    capped = l1_max_reward(b([correct]), t([lengths]), t([targets]), alpha, 0.5)[0].tolist()
    assert exact == pytest.approx(reference.l1_exact(correct, lengths, targets, alpha), abs=1e-5)
    assert capped == pytest.approx(reference.l1_max(correct, lengths, targets, alpha, 0.5), abs=1e-5)
    assert all(r <= 1 + 1e-6 for r in exact) and all(0 <= r <= 1 for r in capped)
    # among correct answers, one closer to the budget never gets less (Exact); one shorter never less (Max)
    distance = [abs(target - n) for n in lengths]
    assert shorter_correct_never_worse(correct, distance, exact)
    assert shorter_correct_never_worse(correct, lengths, capped)


@settings(max_examples=200, deadline=None)
@given(groups, st.integers(min_value=2, max_value=4096), st.floats(min_value=0.01, max_value=1.0))
def test_overlong_and_truncation_properties(group, max_length, cache_fraction):
    correct, lengths = group
    cache = max(1, int(max_length * cache_fraction))
    soft = overlong_penalty_reward(b([correct]), t([lengths]), max_length, cache)[0].tolist()
    hard = truncation_reward(b([correct]), t([lengths]), max_length)[0].tolist()
    assert soft == pytest.approx(reference.overlong(correct, lengths, max_length, cache), abs=1e-5)
    assert hard == reference.truncation(correct, lengths, max_length)
    assert all(-1 <= r <= 1 for r in soft) and set(hard) <= {0.0, 1.0}
    assert shorter_correct_never_worse(correct, lengths, soft)
    assert shorter_correct_never_worse(correct, lengths, hard)


@settings(max_examples=200, deadline=None)
@given(groups, st.floats(min_value=0.1, max_value=4.0), st.floats(min_value=0, max_value=0.01))
def test_shortest_correct_properties(group, alpha, beta):
    correct, lengths = group
    rewards = shortest_correct_reward(b([correct]), t([lengths]), alpha, beta)[0].tolist()
    assert rewards == pytest.approx(reference.shortest_correct(correct, lengths, alpha, beta), abs=1e-4)
    assert all(r <= alpha + 1e-6 for r in rewards)
    if any(correct):  # the shortest correct answer gets the full alpha
        assert max(r for r, c in zip(rewards, correct) if c) == pytest.approx(alpha)
    assert shorter_correct_never_worse(correct, lengths, rewards)


@settings(max_examples=200, deadline=None)
@given(groups, st.integers(min_value=2, max_value=4096))
def test_cosine_properties(group, max_length):
    correct, lengths = group
    rewards = cosine_length_reward(b([correct]), t([lengths]), max_length)[0].tolist()
    assert rewards == pytest.approx(reference.cosine(correct, lengths, max_length), abs=1e-4)
    for r, c, n in zip(rewards, correct, lengths):
        if n >= max_length:
            assert r == -10.0
        else:
            assert (1 - 1e-6 <= r <= 2 + 1e-6) if c else (-10 - 1e-6 <= r <= 1e-6)
    assert shorter_correct_never_worse(correct, lengths, rewards)


@settings(max_examples=200, deadline=None)
@given(
    groups,
    st.lists(st.integers(min_value=1, max_value=4096), min_size=3, max_size=3),
    st.floats(min_value=0.0, max_value=1.0),
    st.booleans(),
)
def test_laser_properties(group, targets, bonus, adaptive):
    correct, lengths = group
    targets = targets if adaptive else targets[:1]
    rewards = laser_reward(b([correct]), t([lengths]), targets, bonus)[0].tolist()
    assert rewards == pytest.approx(reference.laser(correct, lengths, targets, bonus), abs=1e-6)
    for r, c in zip(rewards, correct):
        assert r in (pytest.approx(1.0), pytest.approx(1.0 + bonus)) if c else r == 0.0
    assert shorter_correct_never_worse(correct, lengths, rewards)


@settings(max_examples=200, deadline=None)
@given(groups, st.floats(min_value=0.0, max_value=3.0), st.integers(min_value=0, max_value=64))
def test_dot_properties(group, alpha, margin):
    correct, lengths = group
    rewards = dot_reward(b([correct]), t([lengths]), alpha, margin)[0].tolist()
    assert rewards == pytest.approx(reference.dot(correct, lengths, alpha, margin))
    if not all(correct):  # outside all-correct groups DOT changes nothing
        assert rewards == [float(c) for c in correct]
    else:  # it cuts only the tail: never a response shorter than a kept one, never one at or below the mean
        assert shorter_correct_never_worse(correct, lengths, rewards)
        assert all(r == 1.0 for r, n in zip(rewards, lengths) if n <= sum(lengths) / len(lengths))
