"""Other length rewards from the literature, as pure functions next to the paper's (`objective.py`).

Each takes `(num_prompts, num_generations)` tensors `correct` (bool, or float with NaN = unscorable = incorrect) and
`lengths` (tokens), and returns the total reward used by RL, same shape, float32. Group statistics (min, max,
shortest correct) are over a row: the trainer calls these on the gathered group, so a prompt's samples split across
processes are still one row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from .objective import correctness_mask, length_penalized_reward

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def _inputs(correct: torch.Tensor, lengths: torch.Tensor, **others: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Checks shapes; returns the float64 correctness indicator, lengths and `others`."""
    if correct.dim() != 2 or correct.shape != lengths.shape:
        raise ValueError(
            f"`correct` {tuple(correct.shape)} and `lengths` {tuple(lengths.shape)} must share the shape "
            "(num_prompts, num_generations)"
        )
    for name, value in others.items():
        if value.shape != lengths.shape:
            raise ValueError(f"`{name}` {tuple(value.shape)} must have the shape of `lengths` {tuple(lengths.shape)}")
    return (
        correctness_mask(correct).to(torch.float64),
        lengths.to(torch.float64),
        *(v.to(torch.float64) for v in others.values()),
    )


def _at_least(name: str, value: float, low: float) -> None:
    if not value >= low:
        raise ValueError(f"`{name}` must be >= {low}, got {value}")


def kimi_length_reward(correct: torch.Tensor, lengths: torch.Tensor, weight: float) -> torch.Tensor:
    """Kimi k1.5 (Kimi Team, "Kimi k1.5: Scaling Reinforcement Learning with LLMs", 2025, Sec. 2.3.3, "Length
    Penalty"): `lam = 0.5 - (len - min) / (max - min)` with
    min/max over all of the prompt's samples (`lam = 0` when max == min); the reward is
    `1{correct} + weight * (lam if correct else min(0, lam))`.

    Correct rewards lie in `[1 - weight / 2, 1 + weight / 2]`, incorrect in `[-weight / 2, 0]`. The default
    weight 1 is Kimi's own, unweighted sum; Laser's reimplementation (hkust-nlp/Laser, `compute_kimi_penalty`)
    uses 0.4 (`len_coef`), and open-r1's `len_reward` counts characters of the text, not tokens.
    """
    _at_least("weight", weight, 0.0)
    y, n = _inputs(correct, lengths)
    low, high = n.min(dim=1, keepdim=True).values, n.max(dim=1, keepdim=True).values
    span = high - low
    lam = torch.where(span > 0, 0.5 - (n - low) / span.clamp(min=1e-12), torch.zeros_like(n))
    return (y + weight * torch.where(y > 0, lam, lam.clamp(max=0.0))).float()


def l1_exact_reward(
    correct: torch.Tensor, lengths: torch.Tensor, target_lengths: torch.Tensor, alpha: float
) -> torch.Tensor:
    """L1 / LCPO-Exact (Aggarwal & Welleck, "L1: Controlling How Long a Reasoning Model Thinks", 2025, Eq. 1):
    `r = 1{correct} - alpha * |target - len|`, `target_lengths` the budget stated in each prompt."""
    _at_least("alpha", alpha, 0.0)
    y, n, target = _inputs(correct, lengths, target_lengths=target_lengths)
    return (y - alpha * (target - n).abs()).float()


def l1_max_reward(
    correct: torch.Tensor, lengths: torch.Tensor, target_lengths: torch.Tensor, alpha: float, delta: float
) -> torch.Tensor:
    """L1 / LCPO-Max (Aggarwal & Welleck, 2025, Eq. 2): `r = 1{correct} * clip(alpha * (target - len) + delta, 0, 1)`,
    a soft maximum budget: correct answers within it keep most of the reward, far beyond it none.

    `alpha` is the slope, as in the paper's Eq. 2 (the choice here). The authors' code (cmu-l3/l1) computes
    `(clip(alpha * (target - len), -1, 1) + 1) / 2 = clip(alpha / 2 * (target - len) + 0.5, 0, 1)`: their `alpha`
    is `2 * alpha` here with `delta = 0.5`, so their runs are reproduced with half their alpha."""
    _at_least("alpha", alpha, 0.0)
    y, n, target = _inputs(correct, lengths, target_lengths=target_lengths)
    return (y * (alpha * (target - n) + delta).clamp(0.0, 1.0)).float()


def overlong_penalty_reward(
    correct: torch.Tensor, lengths: torch.Tensor, max_length: int, cache_length: int
) -> torch.Tensor:
    """DAPO's soft overlong punishment (Yu et al., "DAPO", 2025, Eq. 13) added to `1{correct}`: 0 up to
    `max_length - cache_length` tokens, then linear down to -1 at `max_length`, -1 beyond. The verl DAPO recipe
    uses a 4K buffer at 20K tokens and penalty factor 1, hence the config's default buffer of `max_length / 5`."""
    _at_least("max_length", max_length, 1)
    if not 0 < cache_length <= max_length:
        raise ValueError(f"`cache_length` must lie in (0, max_length={max_length}], got {cache_length}")
    y, n = _inputs(correct, lengths)
    penalty = ((max_length - cache_length - n) / cache_length).clamp(-1.0, 0.0)
    return (y + penalty).float()


def truncation_reward(correct: torch.Tensor, lengths: torch.Tensor, budget: int) -> torch.Tensor:
    """DLER (Liu et al., "DLER: Doing Length pEnalty Right", 2025) and ThinkPrune (Hou et al., 2025): a
    response over the token `budget` is treated as truncated and gets nothing, `r = 1{correct and len <= budget}`."""
    _at_least("budget", budget, 1)
    y, n = _inputs(correct, lengths)
    return (y * (n <= budget)).float()


def shortest_correct_reward(correct: torch.Tensor, lengths: torch.Tensor, alpha: float, beta: float) -> torch.Tensor:
    """ShorterBetter (Yi et al., "ShorterBetter: Guiding Reasoning Models to Find Optimal Inference Length", 2025):
    `r = alpha * 1{correct} - beta * |len - SOL|`, SOL (the sample-optimal length) the shortest correct length of
    the prompt's group, or the group's mean length when none is correct."""
    _at_least("alpha", alpha, 0.0)
    _at_least("beta", beta, 0.0)
    y, n = _inputs(correct, lengths)
    shortest = torch.where(y > 0, n, torch.full_like(n, math.inf)).min(dim=1, keepdim=True).values
    sol = torch.where(torch.isfinite(shortest), shortest, n.mean(dim=1, keepdim=True))
    return (alpha * y - beta * (n - sol).abs()).float()


def cosine_length_reward(
    correct: torch.Tensor,
    lengths: torch.Tensor,
    max_length: int,
    correct_short: float = 2.0,
    correct_long: float = 1.0,
    wrong_short: float = -10.0,
    wrong_long: float = 0.0,
    exceed: float = -10.0,
) -> torch.Tensor:
    """The cosine reward of Yeo et al., "Demystifying Long Chain-of-Thought Reasoning in LLMs" (2025, Sec. 4), in
    tokens: `r = r_L + (r_0 - r_L) * (1 + cos(pi * len / max_length)) / 2`, with `(r_0, r_L)` =
    `(correct_short, correct_long)` for a correct answer and `(wrong_short, wrong_long)` for a wrong one, and
    `exceed` at `len >= max_length`. The defaults are the paper's and its code's (eddycmu/demystify-long-cot):
    short correct answers earn most, and a wrong answer is punished less the longer it thought. TRL's and open-r1's
    cosine rewards default to other endpoints: correct 1.0 (short) to 0.5 (long), wrong -1.0 (short) to -0.5."""
    _at_least("max_length", max_length, 1)
    y, n = _inputs(correct, lengths)
    start = torch.where(y > 0, torch.tensor(correct_short, dtype=n.dtype), torch.tensor(wrong_short, dtype=n.dtype))
    end = torch.where(y > 0, torch.tensor(correct_long, dtype=n.dtype), torch.tensor(wrong_long, dtype=n.dtype))
    reward = end + (start - end) * (1.0 + torch.cos(math.pi * n.clamp(max=max_length) / max_length)) / 2.0
    return torch.where(n >= max_length, torch.full_like(n, exceed), reward).float()


LASER_BUCKETS = (2 / 3, 1 / 3)  # accuracy lower bounds of Laser-D's easy and medium buckets


def laser_reward(
    correct: torch.Tensor, lengths: torch.Tensor, targets: Sequence[int], bonus: float = 0.5
) -> torch.Tensor:
    """Laser (Liu et al., "Learn to Reason Efficiently with Adaptive Length-based Reward Shaping", arXiv 2505.15612,
    Sec. 3-4; hkust-nlp/Laser, `compute_length_reward_larse` and `_larse_d`, `length_reward_type="reward"`): a step
    bonus for a correct response within the target length, `r = 1{correct} + bonus * 1{correct and len <= L_T}`.

    `targets`: one length, Laser's fixed `L_T`; or three, Laser-D's per accuracy bucket of the prompt (its group's
    fraction correct `>= 2/3`, `[1/3, 2/3)`, `< 1/3`: easy, medium, hard). Laser-D re-chooses the three targets
    during training from a monitoring set; here they are fixed. Differences from the authors' code: a wrong answer
    scores 0 (theirs -0.5), and Laser-DE's +bonus to non-repetitive wrong answers past the target (exploration) is
    not implemented (it needs the text).
    """
    if len(targets) not in (1, 3):
        raise ValueError(f"`targets` must hold 1 (Laser) or 3 (Laser-D: easy, medium, hard) lengths, got {targets}")
    for target in targets:
        _at_least("targets", target, 1)
    _at_least("bonus", bonus, 0.0)
    y, n = _inputs(correct, lengths)
    if len(targets) == 1:
        target = torch.full_like(n, float(targets[0]))
    else:
        accuracy = y.mean(dim=1, keepdim=True).expand_as(n)
        easy, medium, hard = (torch.tensor(float(t), dtype=n.dtype) for t in targets)
        target = torch.where(
            accuracy >= LASER_BUCKETS[0], easy, torch.where(accuracy >= LASER_BUCKETS[1], medium, hard)
        )
    return (y + bonus * y * (n <= target)).float()


def dot_reward(correct: torch.Tensor, lengths: torch.Tensor, alpha: float = 3.0, margin: int = 32) -> torch.Tensor:
    """Dynamic Outlier Truncation (DOT, arXiv 2601.03969; U-rara/DOT, `projects/dot/length_truncation.py`,
    defaults `std_multiplier=3`, `min_truncation_margin=32`): only in a group where every response is correct, a
    response with `len > T` and `len - T >= margin`, `T = floor(mean(len) + alpha * std(len))` over the group
    (sample std, as the authors' `statistics.stdev`), is an outlier and gets 0; the rest keep `1{correct}`.

    DOT cuts an outlier at `T` tokens, re-runs the verifier on the cut text and trains on the cut response. Here the
    completion is fixed once generated, so an outlier is re-scored as a truncated response, reward 0, and trained
    on whole: the negative advantage reaches also its tokens past `T`, and a cut that would still hold the right
    answer (DOT's reward 1 for the prefix) also gets 0. With `n` samples no z-score exceeds `(n - 1) / sqrt(n)`
    (2.47 at 8, 5.48 at DOT's 32), so `alpha` must stay below it to ever truncate.
    """
    _at_least("alpha", alpha, 0.0)
    _at_least("margin", margin, 0)
    y, n = _inputs(correct, lengths)
    threshold = torch.floor(n.mean(dim=1, keepdim=True) + alpha * n.std(dim=1, keepdim=True))
    outlier = (y > 0).all(dim=1, keepdim=True) & (n > threshold) & (n - threshold >= margin)
    return (y * ~outlier).float()


@dataclass(frozen=True)
class LengthReward:
    """A reward selectable by `length_reward`: its function and which config field feeds each keyword argument."""

    function: Callable[..., torch.Tensor]
    parameters: dict[str, str]  # keyword argument -> `EfficientReasoningConfig` field
    needs_target: bool = False  # takes `target_lengths`: the prompts must state a budget


LENGTH_REWARDS = {
    "paper": LengthReward(length_penalized_reward, {"alpha": "length_penalty_alpha"}),
    "kimi": LengthReward(kimi_length_reward, {"weight": "kimi_weight"}),
    "l1_exact": LengthReward(l1_exact_reward, {"alpha": "l1_alpha"}, needs_target=True),
    "l1_max": LengthReward(l1_max_reward, {"alpha": "l1_alpha", "delta": "l1_delta"}, needs_target=True),
    "overlong": LengthReward(
        overlong_penalty_reward, {"max_length": "overlong_max_length", "cache_length": "overlong_cache_length"}
    ),
    "truncation": LengthReward(truncation_reward, {"budget": "truncation_budget"}),
    "shortest_correct": LengthReward(shortest_correct_reward, {"alpha": "shorter_alpha", "beta": "shorter_beta"}),
    "cosine": LengthReward(cosine_length_reward, {"max_length": "cosine_max_length"}),
    "laser": LengthReward(laser_reward, {"targets": "laser_targets", "bonus": "laser_bonus"}),
    "dot": LengthReward(dot_reward, {"alpha": "dot_alpha", "margin": "dot_margin"}),
}


def reward_settings(args) -> dict[str, float | int | str]:
    """The selected reward and its parameters, from a config: `{"length_reward": name, field: value, ...}`."""
    spec = LENGTH_REWARDS[args.length_reward]
    return {"length_reward": args.length_reward, **{f: getattr(args, f) for f in spec.parameters.values()}}


def compute_length_reward(
    args, correct: torch.Tensor, lengths: torch.Tensor, target_lengths: torch.Tensor | None = None
) -> torch.Tensor:
    """The reward `args.length_reward` names, with its parameters from the config `args`, on grouped tensors."""
    spec = LENGTH_REWARDS[args.length_reward]
    kwargs = {arg: getattr(args, f) for arg, f in spec.parameters.items()}
    if spec.needs_target:
        if target_lengths is None:
            raise ValueError(f"length_reward={args.length_reward!r} needs a `target_length` per prompt")
        kwargs["target_lengths"] = target_lengths
    return spec.function(correct, lengths, **kwargs)


__all__ = [
    "LENGTH_REWARDS",
    "compute_length_reward",
    "cosine_length_reward",
    "dot_reward",
    "kimi_length_reward",
    "l1_exact_reward",
    "l1_max_reward",
    "laser_reward",
    "length_penalized_reward",
    "overlong_penalty_reward",
    "shortest_correct_reward",
    "truncation_reward",
]
