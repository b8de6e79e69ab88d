"""The demo's synthetic task: chained sums whose necessary reasoning grows with the difficulty level.

A level-L problem starts from one number and adds L more (`Mei has 3 cups and gets 5, then 2, then 7 more. How
many cups in total?`). The worked answer writes out one addition per step (`3 + 5 = 8. 8 + 2 = 10. 10 + 7 = 17.`),
and the final answer needs every intermediate sum: a tiny model cannot add 7 numbers in one jump, so skipping a
needed step costs accuracy. The "over-thinking" traces of the starting model first re-read the problem a random
number of times, independent of the level, like the restatements of the distilled R1 models: the padding is
unneeded at every level, and it is a larger share of an easy problem's trace than of a hard one's. The numbers in
one problem are distinct digits, so every step's operand is found unambiguously in the question. The answer goes
through `\\boxed{}` and the project's math-verify checker, like the real recipes. The prompt is the question
alone: the paper's instruction would only lengthen every sequence of a model trained from scratch.
"""

from __future__ import annotations

import random

LEVELS = (1, 2, 4, 6)  # additions needed per level
REREAD = "Let me re-read the problem."
NAMES = ("Tom", "Ana", "Raj", "Mei", "Sam", "Lea", "Ivan", "Noor", "Ben", "Zoe", "Omar", "Kim", "Eva", "Leo", "Mia",
         "Ali", "Ted", "Amy", "Max", "Ida")  # fmt: skip
ITEMS = ("apples", "books", "coins", "pens", "cards", "shells", "stamps", "marbles", "cups", "kites", "hats", "toys",
         "eggs", "rocks", "bells", "keys")  # fmt: skip


def question(p: dict) -> str:
    adds = ", then ".join(str(n) for n in p["adds"])
    return f"{p['name']} has {p['start']} {p['item']} and gets {adds} more. How many {p['item']} in total?"


def answer(p: dict) -> str:
    return str(p["start"] + sum(p["adds"]))


def steps(p: dict) -> list[str]:
    """The necessary reasoning: one written-out addition per added number."""
    lines, total = [], p["start"]
    for n in p["adds"]:
        lines.append(f"{total} + {n} = {total + n}.")
        total += n
    return lines


def trace(p: dict, rereads: int) -> str:
    """A worked answer that re-reads the problem `rereads` times before the steps that solve it."""
    return " ".join([REREAD] * rereads + steps(p) + [f"The answer is \\boxed{{{answer(p)}}}."])


def splits(num_train: int, num_heldout: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Disjoint train and held-out problems (no question in both), every level in an equal share of each."""
    rng = random.Random(seed)
    total = num_train + num_heldout
    seen, by_level = set(), {level: [] for level in LEVELS}
    for _ in range(50 * total):
        level = min(by_level, key=lambda lv: len(by_level[lv]))
        if len(by_level[level]) * len(LEVELS) >= total:
            break
        digits = rng.sample(range(1, 10), level + 1)
        p = {"name": rng.choice(NAMES), "item": rng.choice(ITEMS), "level": level, "start": digits[0],
             "adds": digits[1:]}  # fmt: skip
        if question(p) not in seen:
            seen.add(question(p))
            by_level[level].append(p)
    per_level = -(-num_heldout // len(LEVELS))
    heldout = [p for level in LEVELS for p in by_level[level][:per_level]][:num_heldout]
    train = [p for level in LEVELS for p in by_level[level][per_level:]]
    rng.shuffle(train)
    if len(train) < num_train:
        raise ValueError(f"only {len(train) + len(heldout)} distinct problems found, asked for {total}")
    return train[:num_train], heldout


def as_rows(problems: list[dict], start_id: int = 0) -> list[dict]:
    """`problem`, `answer`, `level`, `id` rows, as the training script and the evaluation read them."""
    return [
        {"id": start_id + i, "problem": question(p), "answer": answer(p), "level": p["level"]}
        for i, p in enumerate(problems)
    ]


def sft_rows(problems: list[dict], max_rereads: int, seed: int = 0) -> list[dict]:
    """TRL prompt-completion rows with verbose traces of 0..max_rereads re-reads (uniform, whatever the level)."""
    rng = random.Random(seed)
    return [
        {
            "prompt": [{"role": "user", "content": question(p)}],
            "completion": [{"role": "assistant", "content": trace(p, rng.randint(0, max_rereads))}],
        }
        for p in problems
    ]


def tokenizer_corpus(problems: list[dict], max_rereads: int) -> list[str]:
    return [question(p) + " " + trace(p, max_rereads) for p in problems] + ["user assistant"] * 20
