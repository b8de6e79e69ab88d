"""The demo's synthetic task: turns of a dial, whose necessary reasoning grows with the difficulty level.

A level-L problem asks where a 10-digit dial points after L turns (`Mei's dial shows 8. Each turn moves it one
forward, from 9 on to 0. What does it show after 4 turns?`). The worked answer writes out one turn per step
(`Turn 1 of 4: 8 to 9. Turn 2 of 4: 9 to 0. ...`): each step is a one-digit count whose inputs stand a fixed
distance back, which a tiny model learns in a minute, but the answer after L turns needs every step (the model
never sees a jump of several turns), so skipping a needed step costs accuracy. The "over-thinking" traces of the
starting model then re-check the turns a random number of times (`Let me check the turns again.`), independent of
the level, like the re-checks of the distilled R1 models: the padding is unneeded at every level, carries no number
(so it costs no accuracy, and only a length penalty has a reason to remove it), and it is a larger share of an easy
problem's trace than of a hard one's. The answer goes through `\\boxed{}` and the project's checker,
like the real recipes. The prompt is the question alone: the paper's instruction would only lengthen every sequence
of a model trained from scratch.
"""

from __future__ import annotations

import random

from ..cli import SettingError

LEVELS = (1, 2, 4, 6)  # turns needed per level
RECHECK = "Let me check the turns again."
NAMES = ("Tom", "Ana", "Raj", "Mei", "Sam", "Lea", "Ivan", "Noor", "Ben", "Zoe", "Omar", "Kim", "Eva", "Leo", "Mia",
         "Ali", "Ted", "Amy", "Max", "Ida")  # fmt: skip
DIALS = ("dial", "wheel", "lock", "meter", "counter", "spinner")


def question(p: dict) -> str:
    turns = "1 turn" if p["level"] == 1 else f"{p['level']} turns"
    return (f"{p['name']}'s {p['dial']} shows {p['start']}. Each turn moves it one forward, from 9 on to 0. "
            f"What does it show after {turns}?")  # fmt: skip


def answer(p: dict) -> str:
    return str((p["start"] + p["level"]) % 10)


def steps(p: dict) -> list[str]:
    """The necessary reasoning: one written-out turn per step."""
    lines, shown = [], p["start"]
    for turn in range(1, p["level"] + 1):
        lines.append(f"Turn {turn} of {p['level']}: {shown} to {(shown + 1) % 10}.")
        shown = (shown + 1) % 10
    return lines


def trace(p: dict, rechecks: int) -> str:
    """A worked answer: the steps that solve the problem, then `rechecks` unneeded re-checks of the result."""
    return " ".join(steps(p) + [RECHECK] * rechecks + [f"The answer is \\boxed{{{answer(p)}}}."])


def splits(num_train: int, num_heldout: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Disjoint train and held-out problems (no question in both), every level in an equal share of each."""
    rng = random.Random(seed)
    total = num_train + num_heldout
    seen, by_level = set(), {level: [] for level in LEVELS}
    for _ in range(50 * total):
        level = min(by_level, key=lambda lv: len(by_level[lv]))
        if len(by_level[level]) * len(LEVELS) >= total:
            break
        p = {"name": rng.choice(NAMES), "dial": rng.choice(DIALS), "level": level,
             "start": rng.randrange(10)}  # fmt: skip
        if question(p) not in seen:
            seen.add(question(p))
            by_level[level].append(p)
    per_level = -(-num_heldout // len(LEVELS))
    heldout = [p for level in LEVELS for p in by_level[level][:per_level]][:num_heldout]
    train = [p for level in LEVELS for p in by_level[level][per_level:]]
    rng.shuffle(train)
    if len(train) < num_train:
        raise SettingError(f"only {len(train) + len(heldout)} distinct problems found, asked for {total}")
    return train[:num_train], heldout


def as_rows(problems: list[dict], start_id: int = 0) -> list[dict]:
    """`problem`, `answer`, `level`, `id` rows, as the training script and the evaluation read them."""
    return [
        {"id": start_id + i, "problem": question(p), "answer": answer(p), "level": p["level"]}
        for i, p in enumerate(problems)
    ]


def sft_rows(problems: list[dict], max_rechecks: int, seed: int = 0) -> list[dict]:
    """TRL prompt-completion rows with verbose traces of 0..max_rechecks re-checks (uniform, whatever the level)."""
    rng = random.Random(seed)
    return [
        {
            "prompt": [{"role": "user", "content": question(p)}],
            "completion": [{"role": "assistant", "content": trace(p, rng.randint(0, max_rechecks))}],
        }
        for p in problems
    ]


def tokenizer_corpus(problems: list[dict], max_rechecks: int) -> list[str]:
    return [question(p) + " " + trace(p, max_rechecks) for p in problems] + ["user assistant"] * 20
