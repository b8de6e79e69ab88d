"""Evaluation metrics of Section 5.1 and the generation-cutoff baseline of Section 5.2, on scored samples.

A sample is a dict with `problem_id`, `correct` (bool), `num_tokens`, `finished` and `extracted_answer`.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence

PAPER_CUTOFFS = (8000, 12000, 16000, 20000, 24000, 32000)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al., 2021): `1 - C(n - c, k) / C(n, k)` for `c` correct of `n` samples."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def by_problem(samples: Sequence[dict]) -> dict:
    groups: dict = defaultdict(list)
    for s in samples:
        groups[s["problem_id"]].append(s)
    return groups


def majority_correct(group: Sequence[dict]) -> bool:
    """Whether the most common extracted answer (ties: the first seen) of finished samples is correct."""
    answers = [s for s in group if s["finished"] and s["extracted_answer"] is not None]
    if not answers:
        return False
    counts = Counter(s["extracted_answer"].strip() for s in answers)
    top = max(counts.values())
    winner = next(s for s in answers if counts[s["extracted_answer"].strip()] == top)
    return bool(winner["correct"])


def _problem_means(groups: dict, value) -> list[float]:
    return [sum(value(s) for s in g) / len(g) for g in groups.values()]


def bootstrap_interval(
    values: Sequence[float], num_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values` (one value per problem, resampled with replacement)."""
    if not values:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(num_resamples))
    lo = means[int(math.floor((1 - level) / 2 * (num_resamples - 1)))]
    hi = means[int(math.ceil((1 + level) / 2 * (num_resamples - 1)))]
    return (lo, hi)


def summarize(samples: Sequence[dict], num_resamples: int = 1000, seed: int = 0) -> dict:
    """The paper's average pass rate and average tokens, with pass@k, majority vote, truncation and 95% intervals."""
    if not samples:
        raise ValueError("no samples to summarize")
    groups = by_problem(samples)
    correct = _problem_means(groups, lambda s: float(s["correct"]))
    tokens = _problem_means(groups, lambda s: float(s["num_tokens"]))
    correct_tokens = [s["num_tokens"] for s in samples if s["correct"]]
    ks = {len(g) for g in groups.values()}
    k = min(ks)
    return {
        "num_problems": len(groups),
        "num_samples": len(samples),
        "k": k,
        "pass_rate": sum(correct) / len(correct),
        "pass_rate_ci95": bootstrap_interval(correct, num_resamples, seed),
        f"pass@{k}": sum(pass_at_k(len(g), sum(bool(s["correct"]) for s in g), k) for g in groups.values())
        / len(groups),
        "majority_vote": sum(majority_correct(g) for g in groups.values()) / len(groups),
        "avg_tokens": sum(s["num_tokens"] for s in samples) / len(samples),
        "avg_tokens_ci95": bootstrap_interval(tokens, num_resamples, seed),
        "avg_tokens_correct": sum(correct_tokens) / len(correct_tokens) if correct_tokens else None,
        "truncated_frac": sum(not s["finished"] for s in samples) / len(samples),
    }


def at_cutoff(samples: Sequence[dict], cutoff: int) -> list[dict]:
    """The samples as if generated with a `cutoff`-token limit, derived from generations with a longer limit.

    Sampling is autoregressive and does not look at the limit, so the first `cutoff` tokens of a long generation are
    distributed exactly as a generation under the limit: one that ended within `cutoff` tokens is unchanged, one
    that did not would have been stopped at `cutoff` tokens, unfinished, so it is wrong and counts `cutoff` tokens.
    """
    out = []
    for s in samples:
        if s["finished"] and s["num_tokens"] <= cutoff:
            out.append(s)
        else:
            out.append({**s, "num_tokens": min(s["num_tokens"], cutoff), "finished": False, "correct": False})
    return out


def cutoff_curve(samples: Sequence[dict], max_tokens: int, cutoffs: Sequence[int] = PAPER_CUTOFFS) -> dict:
    """Pass rate and average tokens at every cutoff up to the generation limit `max_tokens`."""
    curve = {}
    for cutoff in cutoffs:
        if cutoff > max_tokens:
            continue
        cut = at_cutoff(samples, cutoff)
        groups = by_problem(cut)
        correct = _problem_means(groups, lambda s: float(s["correct"]))
        curve[str(cutoff)] = {
            "pass_rate": sum(correct) / len(correct),
            "avg_tokens": sum(s["num_tokens"] for s in cut) / len(cut),
        }
    return curve


def by_level(samples: Sequence[dict]) -> dict:
    """Pass rate and average tokens per difficulty level (MATH500's 1-5)."""
    levels: dict = defaultdict(list)
    for s in samples:
        if s.get("level") is not None:
            levels[s["level"]].append(s)
    return {
        str(level): {
            "num_problems": len(by_problem(group)),
            "pass_rate": sum(bool(s["correct"]) for s in group) / len(group),
            "avg_tokens": sum(s["num_tokens"] for s in group) / len(group),
        }
        for level, group in sorted(levels.items())
    }
