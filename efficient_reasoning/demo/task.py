"""The demo's synthetic task: word problems whose answer is a one-digit sum of two digits, with short or long
reasoning.

Every problem can be answered after one line of reasoning (`So 4 + 3 = 7. The answer is \\boxed{7}.`); the verbose
traces that make the starting model an "over-thinker" first re-read the problem a random number of times. The
answer goes through `\\boxed{}` and the project's math-verify checker, like the real recipes. The prompt is the
question alone: the paper's instruction would only lengthen every sequence of a model trained from scratch.
"""

from __future__ import annotations

import random

NAMES = ("Tom", "Ana", "Raj", "Mei", "Sam", "Lea", "Ivan", "Noor", "Ben", "Zoe", "Omar", "Kim", "Eva", "Leo", "Mia",
         "Ali", "Ted", "Amy", "Max", "Ida")  # fmt: skip
ITEMS = ("apples", "books", "coins", "pens", "cards", "shells", "stamps", "marbles", "cups", "kites", "hats", "toys",
         "eggs", "rocks", "bells", "keys")  # fmt: skip


def question(p: dict) -> str:
    name, item = p["name"], p["item"]
    return f"{name} collects {item}. How many {item} are there in total if there were {p['a']} and then {p['b']}"


def answer(p: dict) -> str:
    return str(p["a"] + p["b"])


def trace(p: dict, rereads: int) -> str:
    """A worked answer that re-reads the problem `rereads` times before the one line that solves it."""
    a, b = p["a"], p["b"]
    lines = [f"Let me re-read: {a} and {b}."] * rereads
    return " ".join([*lines, f"So {a} + {b} = {a + b}. The answer is \\boxed{{{a + b}}}."])


def splits(num_train: int, num_heldout: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Disjoint train and held-out problems (no (name, item, a, b) in both)."""
    rng = random.Random(seed)
    space = len(NAMES) * len(ITEMS) * 55  # 55 digit pairs with a one-digit sum
    if num_train + num_heldout > space // 2:
        raise ValueError(f"at most {space // 2} problems fit the task's space, asked for {num_train + num_heldout}")
    seen, problems = set(), []
    while len(problems) < num_train + num_heldout:
        a = rng.randint(0, 9)
        p = {"name": rng.choice(NAMES), "item": rng.choice(ITEMS), "a": a, "b": rng.randint(0, 9 - a)}
        key = (p["name"], p["item"], p["a"], p["b"])
        if key not in seen:
            seen.add(key)
            problems.append(p)
    return problems[num_heldout:], problems[:num_heldout]


def as_rows(problems: list[dict], start_id: int = 0) -> list[dict]:
    """`problem`, `answer`, `id` rows, as the training script and the evaluation read them."""
    return [{"id": start_id + i, "problem": question(p), "answer": answer(p)} for i, p in enumerate(problems)]


def sft_rows(problems: list[dict], max_rereads: int, seed: int = 0) -> list[dict]:
    """TRL prompt-completion rows with verbose traces of 0..max_rereads re-reads (uniform)."""
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
