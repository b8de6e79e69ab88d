"""The paper's objective as pure functions on `(num_prompts, num_generations)` tensors.

Equation numbers refer to Arora & Zanette, "Training Language Models to Reason Efficiently" (2025).
"""

from __future__ import annotations

import torch


def _check_groups(tensor: torch.Tensor, name: str) -> None:
    if tensor.dim() != 2:
        raise ValueError(f"`{name}` must have shape (num_prompts, num_generations), got {tuple(tensor.shape)}")
    if tensor.size(1) < 2:
        raise ValueError(
            f"`{name}` has num_generations={tensor.size(1)}: a leave-one-out or group baseline needs at least 2 "
            "samples per prompt"
        )


def correctness_mask(correct: torch.Tensor) -> torch.Tensor:
    """`1{y correct}` as a bool tensor; NaN (unscorable) counts as incorrect."""
    if correct.dtype == torch.bool:
        return correct
    return torch.nan_to_num(correct.float(), nan=0.0) > 0.5


def length_penalized_reward(
    correct: torch.Tensor, lengths: torch.Tensor, alpha: float, eps: float = 1e-7
) -> torch.Tensor:
    """Eq. (4)-(5): `R(x, y) = 1{correct} * (1 - alpha * sigmoid((len(y) - mean(x)) / (std(x) + eps)))`.

    `mean(x)` and `std(x)` are the mean and population std (ddof 0) of the lengths of the *correct* responses to
    prompt `x` (Eq. 5). Incorrect rows get 0. A prompt with a single correct response, or with correct responses of
    equal length, gives them `1 - alpha / 2`. Correct rewards lie in `(1 - alpha, 1]` for `alpha` in `[0, 1]`.

    Args:
        correct: bool or float `(num_prompts, num_generations)`; NaN means unscorable, counted as incorrect.
        lengths: token counts, same shape.
        alpha: the length-penalty coefficient.
        eps: added to the std in the z-score.
    """
    if correct.shape != lengths.shape or correct.dim() != 2:
        raise ValueError(
            f"`correct` {tuple(correct.shape)} and `lengths` {tuple(lengths.shape)} must share the shape "
            "(num_prompts, num_generations)"
        )
    if alpha < 0:
        raise ValueError(f"`alpha` must be >= 0, got {alpha}")
    is_correct = correctness_mask(correct)
    weight = is_correct.to(torch.float64)
    lengths = lengths.to(torch.float64)
    num_correct = weight.sum(dim=1, keepdim=True).clamp(min=1.0)
    mean = (lengths * weight).sum(dim=1, keepdim=True) / num_correct
    var = (((lengths - mean) ** 2) * weight).sum(dim=1, keepdim=True) / num_correct
    z = (lengths - mean) / (var.sqrt() + eps)
    reward = (1.0 - alpha * torch.sigmoid(z)) * weight
    return reward.to(torch.float32)


def rloo_advantage(rewards: torch.Tensor) -> torch.Tensor:
    """Eq. (6), RLOO: `A_i = R_i - 1/(n-1) * sum_{j != i} R_j`, with no std scaling.

    Equal to `n / (n - 1) * (R_i - mean_j R_j)`. Every token of a response gets its `A_i`.
    """
    _check_groups(rewards, "rewards")
    n = rewards.size(1)
    return rewards - (rewards.sum(dim=1, keepdim=True) - rewards) / (n - 1)


def grpo_advantage(rewards: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """The Section 5.4 ablation: `A_i = (R_i - mean_j R_j) / (std_j R_j + eps)`, GRPO's std-scaled advantage.

    The std is the sample std (ddof 1), as in TRL's `GRPOTrainer` with `scale_rewards="group"`. The paper shows that
    the scaling makes the length penalty's effect independent of alpha and hurts accuracy.
    """
    _check_groups(rewards, "rewards")
    mean = rewards.mean(dim=1, keepdim=True)
    std = rewards.std(dim=1, keepdim=True)
    return (rewards - mean) / (std + eps)


ADVANTAGE_ESTIMATORS = {"rloo": rloo_advantage, "grpo": grpo_advantage}
