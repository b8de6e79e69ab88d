"""Build `verifier_cases.jsonl`: labelled (completion, gold, expected) cases for the answer checker.

    python tests/cases/make_verifier_cases.py --shared_data ../shared/data

Labels come from how each case is built, never from running a checker: a rewriting that keeps the value of the gold
answer (another notation, number format, extraction form) is correct (1), a changed value is wrong (0). Hand-written
cases follow math-verify's own test suite and the Qwen2.5-Math grader that the paper's authors used. Cases built from
the shared gold answers (MATH500, AIME 2024, GSM8K) are drawn with a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

HERE = Path(__file__).parent
FILLER = "We simplify step by step and check the arithmetic. "
# A completion that runs on into the next chat turn, where another answer follows.
RUN_ON = (
    "So the final answer is $4$.<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_start|>assistant\nIt is \\boxed{5}."
)

# (kind, completion, gold, expected), written by hand.
HAND = [
    # no \boxed{}: the stated final answer or the last number (the paper's grader reads these)
    ("stated", "So the final answer is $4$.", "4", 1),
    ("stated", "So the final answer is $5$.", "4", 0),
    ("stated", "Therefore, the answer is \\frac{1}{2}.", "0.5", 1),
    ("stated", "The answer is: 12", "12", 1),
    ("stated", "The answer is: 13", "12", 0),
    ("stated", "Final Answer: $x = 3$", "3", 1),
    ("stated", "The final answer is \\(\\sqrt{2}\\).", "\\sqrt{2}", 1),
    ("stated", "The final answer is \\(\\sqrt{3}\\).", "\\sqrt{2}", 0),
    ("stated", "We add 3 and 4 to get 7", "7", 1),
    ("stated", "We add 3 and 4 to get 8", "7", 0),
    ("stated", "She pays 2 * 9 = 18 dollars.\n#### 18", "18", 1),
    ("stated", "She pays 2 * 9 = 18 dollars.\n#### 19", "18", 0),
    ("stated", "The answer is 5, not 4 as I first thought.", "5", 1),
    # an answer split over several boxes, or a gold holding several boxes
    ("multi_box", "The roots are $\\boxed{-2}$ and $\\boxed{1}$.", "1,-2", 1),
    ("multi_box", "The roots are $\\boxed{-2} \\text{ and } \\boxed{1}$.", "1,-2", 1),
    ("multi_box", "The roots are $\\boxed{-2}, \\boxed{1}$", "1,-2", 1),
    ("multi_box", "The roots are $\\boxed{-2}$ and $\\boxed{3}$.", "1,-2", 0),
    ("multi_box", "The roots are $\\boxed{-2}$.", "1,-2", 0),
    ("multi_box", "First I got \\boxed{1}, but that is wrong; it is \\boxed{-2}.", "1,-2", 0),
    ("multi_box", "So \\boxed{1, -2}", "\\boxed{1}, \\boxed{-2}", 1),
    ("multi_box", "So \\boxed{-2}", "\\boxed{1}, \\boxed{-2}", 0),
    ("multi_box", "\\boxed{3} \\quad \\boxed{5} \\quad \\boxed{7}", "3, 5, 7", 1),
    ("multi_box", "\\boxed{3} \\quad \\boxed{5}", "3, 5, 7", 0),
    ("multi_box", "\\boxed{25} wait, no: \\boxed{26}", "25", 0),
    ("multi_box", "\\boxed{25} wait, no: \\boxed{26}", "26", 1),
    ("multi_box", "\\boxed{7} so the answer is \\boxed{7}", "7", 1),
    # an inequality against the equivalent interval
    ("interval", "\\boxed{x > 2}", "(2,\\infty)", 1),
    ("interval", "\\boxed{x \\geq 2}", "(2,\\infty)", 0),
    ("interval", "\\boxed{x > 3}", "(2,\\infty)", 0),
    ("interval", "\\boxed{-2 \\le x \\le 7}", "[-2,7]", 1),
    ("interval", "\\boxed{-2 < x \\le 7}", "[-2,7]", 0),
    ("interval", "\\boxed{-2 \\le x \\le 8}", "[-2,7]", 0),
    ("interval", "\\boxed{x < 0}", "(-\\infty, 0)", 1),
    ("interval", "\\boxed{x \\le 0}", "(-\\infty, 0]", 1),
    ("interval", "\\boxed{x < 0}", "(-\\infty, 0]", 0),
    ("interval", "\\boxed{3 < x \\leq 4}", "(3,4]", 1),
    ("interval", "\\boxed{3 \\leq x \\leq 4}", "(3,4]", 0),
    ("interval", "\\boxed{(2, \\infty)}", "x > 2", 1),
    ("interval", "\\boxed{[2, \\infty)}", "x > 2", 0),
    ("interval", "\\boxed{-1 < x < 6}", "(-1,6)", 1),
    ("interval", "\\boxed{-1 < x < 5}", "(-1,6)", 0),
    # constants: \mathrm{e}, e, \pi, \mathrm{i}; a partial parse must never make two answers equal
    ("constants", "\\boxed{1 + \\frac{1}{\\mathrm{e}}}", "1 - \\frac{1}{\\mathrm{e}}", 0),
    ("constants", "\\boxed{1 - \\frac{1}{e}}", "1 - \\frac{1}{\\mathrm{e}}", 1),
    ("constants", "\\boxed{1 - \\frac{1}{\\mathrm{e}}}", "1 - \\frac{1}{\\mathrm{e}}", 1),
    ("constants", "\\boxed{\\frac{\\mathrm{e}}{2}}", "\\frac{\\mathrm{e}}{3}", 0),
    ("constants", "\\boxed{\\frac{e}{3}}", "\\frac{\\mathrm{e}}{3}", 1),
    ("constants", "\\boxed{\\frac{1}{\\mathrm{e}}}", "\\frac1e", 1),
    ("constants", "\\boxed{\\frac{2}{\\mathrm{e}}}", "\\frac1e", 0),
    ("constants", "\\boxed{\\mathrm{e}^2}", "e^{2}", 1),
    ("constants", "\\boxed{\\mathrm{e}^3}", "e^{2}", 0),
    ("constants", "\\boxed{2\\pi}", "2\\pi", 1),
    ("constants", "\\boxed{\\frac{\\pi}{2}}", "\\frac{\\pi}{3}", 0),
    ("constants", "\\boxed{3 + 4\\mathrm{i}}", "3+4i", 1),
    ("constants", "\\boxed{3 - 4\\mathrm{i}}", "3+4i", 0),
    ("constants", "\\boxed{\\mathrm{i}}", "i", 1),
    ("constants", "\\boxed{-\\mathrm{i}}", "i", 0),
    ("constants", "\\boxed{\\frac{\\sqrt{\\mathrm{e}}}{2}}", "\\frac{\\sqrt{e}}{2}", 1),
    ("constants", "\\boxed{\\frac{\\sqrt{\\mathrm{e}}}{4}}", "\\frac{\\sqrt{e}}{2}", 0),
    ("constants", "\\boxed{3.14}", "\\pi", 0),
    ("constants", "\\boxed{2.718}", "e", 0),
    # what the checker already did better than plain math-verify
    ("kept", "\\boxed{204.}", "204", 1),
    ("kept", "\\boxed{205.}", "204", 0),
    ("kept", "\\boxed {x^{2}}", "x^2", 1),
    ("kept", "\\boxed {x^{3}}", "x^2", 0),
    ("kept", "\\fbox{7}", "7", 1),
    ("kept", "\\fbox{8}", "7", 0),
    ("kept", "\\boxed{90^\\circ}", "90", 1),
    ("kept", "\\boxed{90^\\circ}", "90^\\circ", 1),
    ("kept", "\\boxed{45^\\circ}", "90", 0),
    ("kept", "\\boxed{25}", "025", 1),
    ("kept", "\\boxed{26}", "025", 0),
    ("kept", "\\boxed{104}", "\\boxed{104.}", 1),
    # after math-verify's own test suite and the Qwen2.5-Math grader
    ("graders", "\\boxed{0.5}", "\\frac{1}{2}", 1),
    ("graders", "\\boxed{\\frac{1}{3}}", "0.333", 0),
    ("graders", "\\boxed{\\sqrt{8}}", "2\\sqrt{2}", 1),
    ("graders", "\\boxed{\\sqrt{2}/2}", "\\frac{\\sqrt{2}}{2}", 1),
    ("graders", "\\boxed{\\frac{\\sqrt{3}}{2}}", "\\frac{\\sqrt{2}}{2}", 0),
    ("graders", "\\boxed{x = 2}", "2", 1),
    ("graders", "\\boxed{x = 3}", "2", 0),
    ("graders", "\\boxed{\\{2, 1\\}}", "\\{1,2\\}", 1),
    ("graders", "\\boxed{\\{2, 3\\}}", "\\{1,2\\}", 0),
    ("graders", "\\boxed{(1, 2)}", "(1,2)", 1),
    ("graders", "\\boxed{(2, 1)}", "(1,2)", 0),
    ("graders", "\\boxed{[1, 2]}", "[1,2)", 0),
    ("graders", "\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", 1),
    ("graders", "\\boxed{\\begin{pmatrix} 1 \\\\ 3 \\end{pmatrix}}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", 0),
    ("graders", "\\boxed{x^2 + 2x + 1}", "(x+1)^2", 1),
    ("graders", "\\boxed{x^2 + 1}", "(x+1)^2", 0),
    ("graders", "\\boxed{\\dfrac{3}{4}}", "\\frac34", 1),
    ("graders", "\\boxed{\\tfrac{3}{4}}", "0.75", 1),
    ("graders", "\\boxed{\\frac{4}{3}}", "\\frac34", 0),
    ("graders", "\\boxed{-\\frac{1}{2}}", "\\frac{1}{2}", 0),
    ("graders", "\\boxed{2^{10}}", "1024", 1),
    ("graders", "\\boxed{2^{11}}", "1024", 0),
    ("graders", "\\boxed{\\text{(C)}}", "\\text{(C)}", 1),
    ("graders", "\\boxed{\\text{(D)}}", "\\text{(C)}", 0),
    ("graders", "\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "(3,\\frac{\\pi}{2})", 1),
    ("graders", "\\boxed{\\left( 3, \\frac{\\pi}{3} \\right)}", "(3,\\frac{\\pi}{2})", 0),
    ("graders", "\\boxed{}", "3", 0),
    ("graders", "I could not solve it.", "3", 0),
    # relations written differently in the gold and the answer
    ("relations", "\\boxed{x >= 2}", "x \\geq 2", 1),
    ("relations", "\\boxed{x \\geq 2}", "x >= 2", 1),
    ("relations", "Therefore $x \\ge 2$ is the solution.", "x >= 2", 1),
    ("relations", "Therefore $x > 2$ is the solution.", "x >= 2", 0),
    ("relations", "\\boxed{x \\leq 2}", "x \\geq 2", 0),
    ("relations", "We find that $x \\lt 3$.", "x < 3", 1),
    ("relations", "We find that $x \\lt 4$.", "x < 3", 0),
    ("relations", "Thus $y \\gt 5$.", "y > 5", 1),
    ("relations", "\\boxed{x != 3}", "x \\neq 3", 1),
    ("relations", "We find that $x \\neq 3$.", "x \\ne 3", 1),
    ("relations", "We find that $x \\neq 4$.", "x \\ne 3", 0),
    ("relations", "\\boxed{x = 3}", "x \\neq 3", 0),
    ("relations", "So $5 \\geq x$.", "x \\leq 5", 1),
    ("relations", "So $-x > -1$.", "x < 1", 1),
    ("relations", "So $x > -1$.", "x < 1", 0),
    # matrices stated without a box, or in another environment
    (
        "matrix",
        "The matrix is $\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$.",
        "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
        1,
    ),
    (
        "matrix",
        "The matrix is $\\begin{pmatrix} 1 & 2 \\\\ 3 & 5 \\end{pmatrix}$.",
        "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
        0,
    ),
    ("matrix", "Hence \\[\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}\\]", "\\begin{pmatrix}3\\\\-1\\end{pmatrix}", 1),
    ("matrix", "Hence \\[\\begin{pmatrix} -1 \\\\ 3 \\end{pmatrix}\\]", "\\begin{pmatrix}3\\\\-1\\end{pmatrix}", 0),
    (
        "matrix",
        "\\boxed{\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}}",
        "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
        1,
    ),
    (
        "matrix",
        "\\boxed{\\begin{bmatrix} 1 & 2 \\\\ 4 & 3 \\end{bmatrix}}",
        "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
        0,
    ),
    (
        "matrix",
        "So $\\left[\\begin{array}{cc} 1 & 2 \\\\ 3 & 4 \\end{array}\\right]$",
        "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
        1,
    ),
    (
        "matrix",
        "So $\\left[\\begin{array}{cc} 1 & 0 \\\\ 3 & 4 \\end{array}\\right]$",
        "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
        0,
    ),
    (
        "matrix",
        "\\boxed{\\begin{pmatrix} 0 & 0 \\\\ 0 & 0 \\end{pmatrix}}",
        "\\begin{bmatrix}0&0\\\\0&0\\end{bmatrix}",
        1,
    ),
    (
        "matrix",
        "The answer is $\\begin{pmatrix} 1/2 \\\\ 3 \\end{pmatrix}$",
        "\\begin{pmatrix}\\frac{1}{2}\\\\3\\end{pmatrix}",
        1,
    ),
    (
        "matrix",
        "The answer is $\\begin{pmatrix} 1/3 \\\\ 3 \\end{pmatrix}$",
        "\\begin{pmatrix}\\frac{1}{2}\\\\3\\end{pmatrix}",
        0,
    ),
    # a final answer in a sentence, followed by other text or by a chat template's special tokens
    ("stated_text", "Final Answer: The volume of the box is 120.", "120", 1),
    ("stated_text", "Final Answer: The volume of the box is 121.", "120", 0),
    ("stated_text", "Final Answer: Jane started 3 hours ago.", "3", 1),
    ("stated_text", "Final Answer: Jane started 4 hours ago.", "3", 0),
    ("stated_text", "The answer is 4 because 2 + 2 = 4 and nothing else fits.", "4", 1),
    ("stated_text", "So the final answer is $4$.<|im_end|>", "4", 1),
    (
        "stated_text",
        RUN_ON,
        "4",
        1,
    ),
    (
        "stated_text",
        RUN_ON,
        "5",
        0,
    ),
    (
        "stated_text",
        "We get $\\frac{2}{3}$. <|im_start|>user\nNext: what is $1+1$? The answer is 2",
        "\\frac{2}{3}",
        1,
    ),
    ("stated_text", "We get $\\frac{2}{3}$. <|im_start|>user\nNext: what is $1+1$? The answer is 2", "2", 0),
    ("stated_text", "Thus the answer is $\\boxed{7}$.<｜end▁of▁sentence｜>Then \\boxed{8}", "7", 1),
    ("stated_text", "Thus the answer is $\\boxed{7}$.<｜end▁of▁sentence｜>Then \\boxed{8}", "8", 0),
    ("stated_text", "Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.", "0.5", 1),
    (
        "stated_text",
        "So $\\boxed{3}$ marbles.\nFinal Answer: The final answer is $12$. I hope it is correct.",
        "12",
        1,
    ),
    (
        "stated_text",
        "The final answer is $3$. I hope it is correct. Wait. The final answer is $5$. I hope it is correct.",
        "3",
        0,
    ),
    (
        "stated_text",
        "The final answer is $3$. I hope it is correct. Wait. The final answer is $5$. I hope it is correct.",
        "5",
        1,
    ),
    # decimal commas in the answer or in the gold
    ("decimal_comma", "\\boxed{1.22}", "1,22", 1),
    ("decimal_comma", "\\boxed{1.23}", "1,22", 0),
    ("decimal_comma", "\\boxed{0.111}", "0,111", 1),
    ("decimal_comma", "\\boxed{111}", "0,111", 0),
    ("decimal_comma", "\\boxed{1000,99}", "1000.99", 1),
    ("decimal_comma", "\\boxed{1000,98}", "1000.99", 0),
    ("decimal_comma", "The price is 2,74 euros.", "2.74", 1),
    ("decimal_comma", "The price is 2,75 euros.", "2.74", 0),
    ("decimal_comma", "\\boxed{1,234}", "1.234", 0),  # a thousands group, not 1.234
    ("decimal_comma", "\\boxed{1234}", "1,234", 1),
    # one answer given as several boxes separated by words
    ("box_words", "The roots are $\\boxed{1}$ and also $\\boxed{2}$.", "1, 2", 1),
    ("box_words", "There are \\boxed{1} papers and \\boxed{2} bins.", "1, 2", 1),
    ("box_words", "There are \\boxed{1} papers and \\boxed{3} bins.", "1, 2", 0),
    ("box_words", "$\\boxed{(3, 3)}$ for part (a) and $\\boxed{(1, 1)}$ for part (b)", "(3, 3), (1, 1)", 1),
    ("box_words", "$\\boxed{(3, 3)}$ for part (a) and $\\boxed{(1, 2)}$ for part (b)", "(3, 3), (1, 1)", 0),
    ("box_words", "So $x = \\boxed{1}$ or $x = \\boxed{2}$.", "1, 2", 1),
    ("box_words", "So $x = \\boxed{1}$ or $x = \\boxed{3}$.", "1, 2", 0),
    ("box_words", "I first got \\boxed{1}, no, it is \\boxed{2}", "1, 2", 0),
    ("box_words", "I first got \\boxed{1}, but that is wrong: the answer is \\boxed{2}", "2", 1),
    # multiple choice
    ("choice", "\\boxed{B}", "B", 1),
    ("choice", "\\boxed{(B)}", "B", 1),
    ("choice", "\\boxed{\\text{B}}", "B", 1),
    ("choice", "\\boxed{B) a river}", "B", 1),
    ("choice", "\\boxed{C}", "B", 0),
    ("choice", "The answer is B.", "B", 1),
    ("choice", "The answer is C.", "B", 0),
    ("choice", "answer: (B)", "B", 1),
    ("choice", "Option (A) fails, so it must be (B) because ...", "B", 1),
    ("choice", "Both A) and B) fail; only C) is left.", "B", 0),
    ("choice", "It cannot be decided.", "B", 0),
    ("choice", "The answer is B, I think, but \\boxed{D}", "B", 0),
]


def _int_variant(rng: random.Random, value: int) -> int:
    return value + rng.choice([-2, -1, 1, 2, 10])


def math500_cases(rows: list[dict], rng: random.Random) -> list[tuple]:
    cases = []
    for row in rows:
        gold = row["answer"]
        if re.fullmatch(r"-?\d+", gold):
            n = int(gold)
            cases.append(("math500", f"{FILLER}So the answer is $\\boxed{{{n}}}$.", gold, 1))
            cases.append(("math500", f"{FILLER}The final answer is ${n}$.", gold, 1))
            cases.append(("math500", f"{FILLER}So the answer is $\\boxed{{{_int_variant(rng, n)}}}$.", gold, 0))
        elif m := re.fullmatch(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}", gold):
            sign, a, b = m.groups()
            cases.append(("math500", f"{FILLER}\\boxed{{{sign}\\dfrac{{{a}}}{{{b}}}}}", gold, 1))
            cases.append(("math500", f"{FILLER}\\boxed{{{sign}{a}/{b}}}", gold, 1))
            cases.append(("math500", f"{FILLER}\\boxed{{{sign}\\frac{{{int(a) + 1}}}{{{b}}}}}", gold, 0))
        elif "\\frac" in gold or "\\sqrt" in gold or "\\pi" in gold:
            cases.append(("math500", f"{FILLER}Hence $\\boxed{{{gold}}}$.", gold, 1))
            spaced = gold.replace("\\frac", "\\dfrac").replace(",", ", ")
            cases.append(("math500", f"{FILLER}Hence $\\boxed{{{spaced}}}$.", gold, 1))
    return cases


def aime_cases(rows: list[dict], rng: random.Random) -> list[tuple]:
    cases = []
    for row in rows:
        gold, n = row["answer"], int(row["answer"])
        cases.append(("aime", f"{FILLER}The answer is $\\boxed{{{n}}}$.", gold, 1))
        cases.append(("aime", f"{FILLER}The answer is $\\boxed{{{n:03d}}}$.", gold, 1))
        cases.append(("aime", f"{FILLER}The final answer is {n}.", gold, 1))
        cases.append(("aime", f"{FILLER}The answer is $\\boxed{{{_int_variant(rng, n)}}}$.", gold, 0))
    return cases


def _groups(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def gsm8k_cases(rows: list[dict], rng: random.Random, num: int = 40) -> list[tuple]:
    cases = []
    golds = [r["answer"].split("####")[-1].strip() for r in rows]
    numeric = [g for g in golds if re.fullmatch(r"-?\d+", g)]
    for gold in rng.sample(numeric, num):
        n = int(gold)
        cases.append(("gsm8k", f"{FILLER}She makes {n} dollars.\n#### {n}", gold, 1))
        cases.append(("gsm8k", f"{FILLER}So she makes $\\boxed{{{n}}}$ dollars.", gold, 1))
        cases.append(
            ("gsm8k", f"{FILLER}She makes {_int_variant(rng, n)} dollars.\n#### {_int_variant(rng, n)}", gold, 0)
        )
    big = [g for g in numeric if int(g) >= 1000][:20]
    for gold in big:
        n = int(gold)
        for sep in (",", "{,}", " ", "\\,"):
            cases.append(("number_format", f"{FILLER}\\boxed{{{_groups(n, sep)}}}", gold, 1))
        cases.append(("number_format", f"{FILLER}\\boxed{{{_groups(n + 1000, '{,}')}}}", gold, 0))
        cases.append(("number_format", f"{FILLER}\\boxed{{{_groups(n + 1, ' ')}}}", gold, 0))
    return cases


def decimal_cases(rows: list[dict]) -> list[tuple]:
    cases = []
    for row in rows:
        gold = row["answer"]
        if re.fullmatch(r"\d+\.\d{1,2}", gold):  # `3,5` with one or two decimals cannot be a thousands group
            cases.append(("number_format", f"\\boxed{{{gold.replace('.', ',')}}}", gold, 1))
            whole, frac = gold.split(".")
            cases.append(("number_format", f"\\boxed{{{whole},{int(frac) + 1}}}", gold, 0))
    cases.append(("number_format", "\\boxed{1 000}", "0", 0))  # not `1 * 000`
    cases.append(("number_format", "\\boxed{3,5}", "35", 0))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared_data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--output", type=Path, default=HERE / "verifier_cases.jsonl")
    args = parser.parse_args()
    rng = random.Random(0)
    load = lambda name: [json.loads(line) for line in (args.shared_data / "eval" / name).read_text().splitlines()]  # noqa: E731
    math500 = load("math500.jsonl")
    cases = list(HAND) + math500_cases(rng.sample(math500, 120), rng) + aime_cases(load("aime24.jsonl"), rng)
    cases += gsm8k_cases(load("gsm8k_test.jsonl"), rng) + decimal_cases(math500)
    with args.output.open("w") as f:
        for kind, completion, gold, expected in cases:
            f.write(json.dumps({"kind": kind, "completion": completion, "gold": gold, "expected": expected}) + "\n")
    print(f"{len(cases)} cases -> {args.output}")


if __name__ == "__main__":
    main()
