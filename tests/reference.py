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


# Plain-Python versions of the other length rewards (efficient_reasoning/length_rewards.py), one group at a time.


def kimi(correct: list[bool], lengths: list[float], weight: float) -> list[float]:
    low, high = min(lengths), max(lengths)
    out = []
    for n, c in zip(lengths, correct):
        lam = 0.0 if high == low else 0.5 - (n - low) / (high - low)
        out.append(float(c) + weight * (lam if c else min(0.0, lam)))
    return out


def l1_exact(correct, lengths, targets, alpha):
    return [float(c) - alpha * abs(t - n) for c, n, t in zip(correct, lengths, targets)]


def l1_max(correct, lengths, targets, alpha, delta):
    return [float(c) * min(1.0, max(0.0, alpha * (t - n) + delta)) for c, n, t in zip(correct, lengths, targets)]


def overlong(correct, lengths, max_length, cache_length):
    out = []
    for c, n in zip(correct, lengths):
        if n <= max_length - cache_length:
            penalty = 0.0
        elif n <= max_length:
            penalty = (max_length - cache_length - n) / cache_length
        else:
            penalty = -1.0
        out.append(float(c) + penalty)
    return out


def truncation(correct, lengths, budget):
    return [float(c and n <= budget) for c, n in zip(correct, lengths)]


def shortest_correct(correct, lengths, alpha, beta):
    correct_lengths = [n for n, c in zip(lengths, correct) if c]
    sol = min(correct_lengths) if correct_lengths else sum(lengths) / len(lengths)
    return [alpha * float(c) - beta * abs(n - sol) for c, n in zip(correct, lengths)]


def cosine(correct, lengths, max_length, r0c=2.0, rlc=1.0, r0w=-10.0, rlw=0.0, exceed=-10.0):
    out = []
    for c, n in zip(correct, lengths):
        r0, rl = (r0c, rlc) if c else (r0w, rlw)
        out.append(exceed if n >= max_length else rl + 0.5 * (r0 - rl) * (1 + math.cos(math.pi * n / max_length)))
    return out


def laser(correct, lengths, targets, bonus):
    if len(targets) == 1:
        target = targets[0]
    else:
        accuracy = sum(correct) / len(correct)
        target = targets[0] if accuracy >= 2 / 3 else targets[1] if accuracy >= 1 / 3 else targets[2]
    return [float(c) + (bonus if c and n <= target else 0.0) for c, n in zip(correct, lengths)]


def dot(correct, lengths, alpha, margin):
    import statistics

    if not all(correct):
        return [float(c) for c in correct]
    cut = math.floor(statistics.mean(lengths) + alpha * statistics.stdev(lengths))
    return [0.0 if n > cut and n - cut >= margin else 1.0 for n in lengths]
