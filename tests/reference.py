"""Independent plain-Python versions of Eq. (4)-(6), to check the torch implementation and the trainer against."""

import math


def reward(correct: list[bool], lengths: list[float], alpha: float, eps: float = 1e-7) -> list[float]:
    correct_lengths = [n for n, c in zip(lengths, correct) if c]
    if not correct_lengths:
        return [0.0] * len(correct)
    mean = sum(correct_lengths) / len(correct_lengths)
    std = math.sqrt(sum((n - mean) ** 2 for n in correct_lengths) / len(correct_lengths))
    return [(1 - alpha / (1 + math.exp(-(n - mean) / (std + eps)))) if c else 0.0 for n, c in zip(lengths, correct)]


def rloo(rewards: list[float]) -> list[float]:
    total = sum(rewards)
    return [r - (total - r) / (len(rewards) - 1) for r in rewards]


def grpo(rewards: list[float], eps: float = 1e-4) -> list[float]:
    mean = sum(rewards) / len(rewards)
    std = math.sqrt(sum((r - mean) ** 2 for r in rewards) / (len(rewards) - 1))
    return [(r - mean) / (std + eps) for r in rewards]
