import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from efficient_reasoning import grpo_advantage, length_penalized_reward, rloo_advantage
from tests import reference


def t(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


def test_reward_hand_computed():
    # correct lengths 10, 20, 30: mean 20, population std sqrt(200/3) = 8.16497, z = -1.2247, 0, 1.2247
    rewards = length_penalized_reward(t([[True, True, False, True]], torch.bool), t([[10, 20, 30, 30]]), alpha=0.2)
    expected = [1 - 0.2 * 0.2271060, 0.9, 0.0, 1 - 0.2 * 0.7728940]
    assert rewards[0].tolist() == pytest.approx(expected, rel=1e-5)


def test_rloo_hand_computed():
    rewards = t([[0.9545788, 0.9, 0.0, 0.8454212]])
    # A_i = R_i - (sum - R_i) / 3
    assert rloo_advantage(rewards)[0].tolist() == pytest.approx([0.3727717, 0.3, -0.9, 0.2272283], abs=1e-6)


def test_grpo_hand_computed():
    rewards = t([[1.0, 0.0, 0.0, 1.0]])  # mean 0.5, sample std sqrt(1/3) = 0.57735
    assert grpo_advantage(rewards)[0].tolist() == pytest.approx([0.866025, -0.866025, -0.866025, 0.866025], rel=1e-3)


def test_no_correct_response_gives_zero():
    rewards = length_penalized_reward(t([[0.0, 0.0, 0.0]]), t([[5, 50, 500]]), alpha=0.4)
    assert rewards.tolist() == [[0.0, 0.0, 0.0]]
    assert rloo_advantage(rewards).tolist() == [[0.0, 0.0, 0.0]]


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.4])
def test_one_correct_or_equal_lengths_give_one_minus_half_alpha(alpha):
    one = length_penalized_reward(t([[0.0, 1.0, 0.0]]), t([[5, 50, 500]]), alpha)
    assert one.tolist()[0] == pytest.approx([0.0, 1 - alpha / 2, 0.0])
    equal = length_penalized_reward(t([[1.0, 1.0, 0.0]]), t([[40, 40, 7]]), alpha)
    assert equal.tolist()[0] == pytest.approx([1 - alpha / 2, 1 - alpha / 2, 0.0])


def test_alpha_zero_is_plain_correctness():
    correct = t([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0]])
    rewards = length_penalized_reward(correct, t([[3, 9, 27, 81], [1, 2, 3, 4]]), alpha=0.0)
    assert torch.equal(rewards, correct)


def test_nan_rows_are_incorrect_and_leave_the_statistics_alone():
    with_nan = length_penalized_reward(t([[1.0, math.nan, 1.0]]), t([[10, 1000, 30]]), alpha=0.2)
    without = length_penalized_reward(t([[1.0, 0.0, 1.0]]), t([[10, 1000, 30]]), alpha=0.2)
    assert torch.equal(with_nan, without)
    assert with_nan[0, 1] == 0.0


def test_incorrect_lengths_do_not_change_correct_rewards():
    a = length_penalized_reward(t([[1.0, 1.0, 0.0]]), t([[10, 30, 1]]), alpha=0.3)
    b = length_penalized_reward(t([[1.0, 1.0, 0.0]]), t([[10, 30, 10_000]]), alpha=0.3)
    assert torch.equal(a, b)


def test_groups_are_independent():
    joint = length_penalized_reward(t([[1.0, 1.0], [1.0, 0.0]]), t([[10, 20], [500, 3]]), alpha=0.2)
    first = length_penalized_reward(t([[1.0, 1.0]]), t([[10, 20]]), alpha=0.2)
    assert torch.equal(joint[:1], first)
    assert joint[1].tolist() == pytest.approx([0.9, 0.0])


@pytest.mark.parametrize("fn", [rloo_advantage, grpo_advantage])
def test_advantage_rejects_single_generation(fn):
    with pytest.raises(ValueError, match="num_generations=1"):
        fn(t([[1.0], [0.0]]))


def test_shape_errors_name_the_arguments():
    with pytest.raises(ValueError, match="correct"):
        length_penalized_reward(t([1.0, 0.0]), t([1.0, 2.0]), alpha=0.1)
    with pytest.raises(ValueError, match="alpha"):
        length_penalized_reward(t([[1.0, 0.0]]), t([[1.0, 2.0]]), alpha=-0.1)


groups = st.integers(min_value=2, max_value=16).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.integers(min_value=1, max_value=32_000), min_size=n, max_size=n),
    )
)
alphas = st.floats(min_value=0.0, max_value=1.0)


@settings(max_examples=300, deadline=None)
@given(groups, alphas)
def test_reward_bounds(group, alpha):
    correct, lengths = group
    rewards = length_penalized_reward(t([correct], torch.bool), t([lengths]), alpha)[0].tolist()
    for r, c in zip(rewards, correct):
        if c:
            assert 1 - alpha <= r <= 1  # (1 - alpha, 1] exactly; float rounding may touch 1 - alpha
            assert r > 0 or alpha == 1
        else:
            assert r == 0
    if alpha < 1 and any(correct):
        assert min(r for r, c in zip(rewards, correct) if c) > max(
            [r for r, c in zip(rewards, correct) if not c] or [0]
        )


@settings(max_examples=300, deadline=None)
@given(groups, alphas)
def test_matches_reference_and_shorter_is_never_worse(group, alpha):
    correct, lengths = group
    rewards = length_penalized_reward(t([correct], torch.bool), t([lengths]), alpha)[0].tolist()
    assert rewards == pytest.approx(reference.reward(correct, lengths, alpha), abs=1e-6)
    pairs = [(n, r) for n, r, c in zip(lengths, rewards, correct) if c]
    for n1, r1 in pairs:
        for n2, r2 in pairs:
            if n1 < n2:
                assert r1 >= r2 - 1e-6


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=2, max_size=16))
def test_advantages_match_reference(rewards):
    assert rloo_advantage(t([rewards]))[0].tolist() == pytest.approx(reference.rloo(rewards), abs=1e-5)
    assert float(rloo_advantage(t([rewards])).sum()) == pytest.approx(0.0, abs=1e-4)
    if len(set(rewards)) > 1:
        assert grpo_advantage(t([rewards]))[0].tolist() == pytest.approx(reference.grpo(rewards), rel=1e-3, abs=1e-3)
