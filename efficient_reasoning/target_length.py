"""Target-length control as in L1 (Aggarwal & Welleck, 2025): each prompt states a token budget, the `l1_*` rewards
score the response against it, and evaluation measures how far the used tokens land from the budget."""

from __future__ import annotations

import random
from collections.abc import Sequence

from datasets import Dataset

from .cli import SettingError

TARGET_TEMPLATE = "{prompt}\n\nThink for {target_length} tokens."
"""The budget sentence L1 appends to the question; `{prompt}` is the user message, `{target_length}` the budget."""


def check_template(template: str) -> None:
    for key in ("{prompt}", "{target_length}"):
        if key not in template:
            raise SettingError(f"target_length_template must contain {key!r}, got {template!r}")


def with_budget(content: str, target_length: int, template: str = TARGET_TEMPLATE) -> str:
    """The user message `content` with the budget stated by `template`."""
    check_template(template)
    return template.replace("{target_length}", str(int(target_length))).replace("{prompt}", content)


def add_target_lengths(
    dataset: Dataset, low: int, high: int, template: str = TARGET_TEMPLATE, seed: int = 0
) -> Dataset:
    """A `target_length` column drawn uniformly from the integers `[low, high]` (seeded, once per row), stated in the
    last user message of each conversational `prompt`."""
    if not 1 <= low <= high:
        raise SettingError(f"target lengths need 1 <= target_length_min <= target_length_max, got [{low}, {high}]")
    check_template(template)
    if "prompt" not in dataset.column_names:
        raise SettingError(f"target lengths need a `prompt` column; the dataset has {dataset.column_names}")
    rng = random.Random(seed)
    targets = [rng.randint(low, high) for _ in range(len(dataset))]

    def state(row, index):
        messages = [dict(m) for m in row["prompt"]]
        last = max(i for i, m in enumerate(messages) if m["role"] == "user")
        messages[last]["content"] = with_budget(messages[last]["content"], targets[index], template)
        return {"prompt": messages, "target_length": targets[index]}

    return dataset.map(state, with_indices=True)


def target_errors(lengths: Sequence[float], targets: Sequence[float]) -> dict[str, float]:
    """How far used tokens land from the requested ones: mean used, mean absolute error and mean relative error
    (`|used - target| / target`), over paired samples."""
    if len(lengths) != len(targets) or not lengths:
        raise ValueError(f"need as many used as requested lengths (>= 1), got {len(lengths)} and {len(targets)}")
    errors = [abs(n - t) for n, t in zip(lengths, targets)]
    return {
        "mean_tokens": sum(lengths) / len(lengths),
        "mean_abs_error": sum(errors) / len(errors),
        "mean_rel_error": sum(e / t for e, t in zip(errors, targets)) / len(errors),
    }
