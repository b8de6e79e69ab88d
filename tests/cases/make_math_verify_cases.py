"""Build `math_verify_cases.jsonl`: the labelled (gold, prediction, expected) cases of math-verify's own test suite.

    python tests/cases/make_math_verify_cases.py --tests PATH/TO/Math-Verify/tests

Reads the `pytest.mark.parametrize` tables of math-verify's tests (MIT licence, (c) The HuggingFace Team; built from
commit 5d148cf, the suite of release 0.8/0.9) without running anything. Each case keeps the test's label and gets the
kind of its test function; the `test_complex_math_expressions` table holds the examples of the Qwen2.5-Math grader.
Tables whose label depends on a non-default setting (`strict=False`, `allow_set_relation_comp`, a precision other than
6 digits) are left out, as are the few cases listed in `EXCLUDED` with the reason their label does not hold for an
answer checker.
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

HERE = Path(__file__).parent
KINDS = {
    "test_number_extraction": "mv_numbers",
    "test_simple_fraction_notation": "mv_latex",
    "test_sets_handling": "mv_sets",
    "test_latex_notation": "mv_latex",
    "test_percent_notation": "mv_percent",
    "test_latex_notation_math": "mv_solutions",
    "test_relations_math": "mv_relations",
    "test_matrix_extraction": "mv_matrix",
    "test_complex_math_expressions": "qwen_grader",
    "test_math_extraction_edge_cases": "mv_edge_cases",
    "test_math_extraction_additional_cases": "mv_edge_cases",
    "test_float_precision": "mv_numbers",
    "test_sqrt_precision": "mv_numbers",
    "test_symbols": "mv_numbers",
    "test_boxed": "mv_boxed",
    "test_numina_cases": "mv_numina",
    "test_open_thoughts": "mv_open_thoughts",
    "yujianll:test_string_extraction": "mv_yujianll",
}
FILES = ("test_all.py", "test_boxed.py", "test_numina_cases.py", "test_open_thoughts.py", "test_yujianll.py")
# (gold, prediction): why the label does not hold for an answer checker
EXCLUDED = {
    ("$9$", "Answer $ \n 9 \n $"): "the label tests math-verify's regex (inline math on one line); 9 is the answer",
    ("$9$", "Answer \\( \n 9 \n \\)"): "as above",
    ("$1 - \\frac{1}{\\mathrm{e}}$", "$1 + \\frac{1}{\\mathrm{e}}$"): "a wrong answer labelled right",
    (
        "\\\\boxed{W(n) = 1 \\\\text{ and } W(n) = -1",
        "W(x)=1orW(x)=-1",
    ): "an unclosed box: a partial parse",
}


def _literal(node: ast.expr) -> tuple | None:
    try:
        return ast.literal_eval(node)
    except ValueError:  # a row computed at import (an f-string): left out
        return None


def _tables(path: Path) -> list[tuple[str, list[tuple]]]:
    """(test name, rows) of every parametrized test in `path`, rows as literal tuples."""
    tables = []
    for node in ast.parse(path.read_text()).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "parametrize":
                names = [n.strip() for n in ast.literal_eval(deco.args[0]).split(",")]
                tables.append((node.name, [dict(zip(names, row)) for row in map(_literal, deco.args[1].elts) if row]))
    return tables


def cases(tests: Path) -> list[dict]:
    out = []
    for file in FILES:
        prefix = "yujianll:" if file == "test_yujianll.py" else ""
        for name, rows in _tables(tests / file):
            kind = KINDS.get(prefix + name)
            if kind is None:
                continue
            for row in rows:
                expected = row.get("expected", row.get("result"))
                if row.get("precision", 6) != 6 or "strict" in row or "allow_set_relation_comp" in row:
                    continue
                if (row["gold"], row["pred"]) in EXCLUDED:
                    continue
                source = f"math-verify tests/{file}::{name}"
                out.append({"kind": kind, "completion": row["pred"], "gold": row["gold"], "expected": int(expected),
                            "source": source})  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=Path, required=True, help="the tests/ folder of a Math-Verify checkout")
    parser.add_argument("--output", type=Path, default=HERE / "math_verify_cases.jsonl")
    args = parser.parse_args()
    rows = cases(args.tests)
    with args.output.open("w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    print(f"{len(rows)} cases -> {args.output}")


if __name__ == "__main__":
    main()
