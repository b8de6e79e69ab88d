"""Arithmetic word problems whose difficulty level is their number of steps, for a real (small) instruction model.

A level-L problem starts from a count and changes it L times, each change one sentence (`Sam has 5 apples. He
gets 3 more apples. Then he eats 2 apples. How many apples does Sam have now?`); each step adds or takes away a
number from 2 to 9 and the count never goes below zero, so the answer is a whole number that needs every step.

    python -m efficient_reasoning.demo.word_problems --output_dir data/word_problems

writes `train.jsonl` and `heldout.jsonl` (`id`, `problem`, `answer`, `level`: the columns `grpo` and `evaluate
--data_file word_problems=...` read); no question is in both.
"""

from __future__ import annotations

import random

from ..cli import ArgumentParser, SettingError, check_output_dir, check_range, command

LEVELS = (1, 2, 3)
PEOPLE = (("Sam", "he"), ("Mia", "she"), ("Tom", "he"), ("Ana", "she"), ("Raj", "he"), ("Lea", "she"),
          ("Ben", "he"), ("Zoe", "she"), ("Omar", "he"), ("Kim", "she"), ("Leo", "he"), ("Eva", "she"))  # fmt: skip
ITEMS = ("apples", "pens", "books", "marbles", "stickers", "cookies", "shells", "coins", "cards", "eggs")
GAINS = ("{they} gets {n} more {items}.", "{they} finds {n} more {items}.", "{they} buys {n} more {items}.",
         "A friend gives {them} {n} more {items}.")  # fmt: skip
LOSSES = ("{they} gives away {n} {items}.", "{they} loses {n} {items}.", "{they} sells {n} {items}.")
OBJECT = {"he": "him", "she": "her"}


def make_problem(level: int, rng: random.Random) -> dict:
    """One problem of `level` steps: its question, answer and level."""
    name, they = rng.choice(PEOPLE)
    items = rng.choice(ITEMS)
    count = rng.randint(2, 12)
    sentences = [f"{name} has {count} {items}."]
    for step in range(level):
        n = rng.randint(2, 9)
        gain = count < n or rng.random() < 0.5
        template = rng.choice(GAINS if gain else LOSSES)
        sentence = template.format(they=they.capitalize(), them=OBJECT[they], n=n, items=items)
        if step:
            sentence = "Then " + sentence[0].lower() + sentence[1:]
        sentences.append(sentence)
        count += n if gain else -n
    sentences.append(f"How many {items} does {name} have now?")
    return {"problem": " ".join(sentences), "answer": str(count), "level": level}


def splits(num_train: int, num_heldout: int, seed: int = 0, levels=LEVELS) -> tuple[list[dict], list[dict]]:
    """Disjoint train and held-out rows (`id`, `problem`, `answer`, `level`), every level in an equal share."""
    rng = random.Random(seed)
    per_level = {level: [] for level in levels}
    seen: set[str] = set()
    heldout_per_level = -(-num_heldout // len(levels))  # rounded up: every level in an equal share
    total = num_train + heldout_per_level * len(levels)
    for _ in range(50 * total):
        level = min(per_level, key=lambda lv: len(per_level[lv]))
        if sum(map(len, per_level.values())) >= total:
            break
        row = make_problem(level, rng)
        if row["problem"] not in seen:
            seen.add(row["problem"])
            per_level[level].append(row)
    heldout = [r for level in levels for r in per_level[level][:heldout_per_level]][:num_heldout]
    train = [r for level in levels for r in per_level[level][heldout_per_level:]]
    rng.shuffle(train)
    if len(train) < num_train:
        found = sum(map(len, per_level.values()))
        raise SettingError(f"only {found} distinct problems found, {total} needed ({num_train} training problems and "
                           f"{heldout_per_level} held out per level)")  # fmt: skip
    rows = train[:num_train] + heldout
    for i, row in enumerate(rows):
        row["id"] = i
    return rows[:num_train], rows[num_train:]


def main(argv: list[str] | None = None) -> None:
    from pathlib import Path

    from ..generation import write_jsonl

    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--output_dir", default="data/word_problems")
    parser.add_argument("--num_train", type=int, default=2000)
    parser.add_argument("--num_heldout", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    check_range("--num_train", args.num_train, 1)
    check_range("--num_heldout", args.num_heldout, 1)
    out = check_output_dir(args.output_dir)
    train, heldout = splits(args.num_train, args.num_heldout, args.seed)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(Path(out) / "train.jsonl", train)
    write_jsonl(Path(out) / "heldout.jsonl", heldout)
    print(f"{len(train)} training and {len(heldout)} held-out problems written to {out}")


if __name__ == "__main__":
    command(main)
