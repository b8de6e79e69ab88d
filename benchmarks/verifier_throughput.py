"""Answer-checking throughput: the project's verifier against a plain loop of `math_verify.parse`/`verify`.

    python benchmarks/verifier_throughput.py [--num 256] [--chars 3000] [--workers 2] [--timeout 1.0]
        [--cases FILE ...] [--passes 1]

Builds a realistic batch (completions of a few thousand characters ending in a `\\boxed{}` answer, drawn from the
MATH500 gold answers with right and wrong variants, plus a few pathological ones), scores it both ways, and prints
completions per second of both, their ratio, and the worst single-completion time of each. Then scores the labelled
cases (`tests/cases/verifier_cases.jsonl` and `tests/cases/math_verify_cases.jsonl`, math-verify's own test cases)
both ways and prints, per kind, the agreement with the labels, the false positives (a wrong answer scored correct) and
the NaN count, and the kinds where plain math-verify agrees more often. `--passes N` scores the batch N times with
one pool and prints each pass's rate (the first includes warm-up); run with `PYTHONPATH` on an older checkout to
compare checkers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

FILLER = (
    "Let me think about this step by step. First we rewrite the expression and simplify each term. "
    "Then we check the result against the constraints of the problem, and verify the arithmetic again. "
)
PATHOLOGICAL = ["\\boxed{9^{9^{9^{9}}}}", "\\boxed{" + "9" * 100_000 + "}", "\\boxed{10^{10^{10^{10}}}}"]
FALLBACK_GOLDS = ["25", "\\frac{1}{2}", "3\\sqrt{2}", "(1, 2)", "\\pi", "x^2 + 1", "104", "-7", "0.25", "12"]


def load_golds(path: Path | None) -> list[str]:
    if path is not None and path.exists():
        return [json.loads(line)["answer"] for line in path.read_text().splitlines() if line.strip()]
    return FALLBACK_GOLDS


def build_batch(golds: list[str], num: int, chars: int, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    completions, answers = [], []
    for i in range(num - len(PATHOLOGICAL)):
        gold = rng.choice(golds)
        shown = gold if i % 2 == 0 else rng.choice(golds)  # half right, half (mostly) wrong
        completions.append((FILLER * (chars // len(FILLER) + 1))[:chars] + f" So the answer is \\boxed{{{shown}}}.")
        answers.append(gold)
    for p in PATHOLOGICAL:
        completions.append(FILLER * 10 + p)
        answers.append("5")
    return completions, answers


def plain_loop(completions: list[str], golds: list[str]) -> tuple[list[bool], list[float]]:
    from math_verify import parse, verify

    results, times = [], []
    for completion, gold in zip(completions, golds):
        start = time.perf_counter()
        try:
            results.append(bool(verify(parse(f"${gold}$"), parse(completion))))
        except Exception:
            results.append(False)
        times.append(time.perf_counter() - start)
    return results, times


def agreement(cases_paths: list[Path], workers: int, timeout: float) -> dict:
    """Per kind: [cases, agreements, false positives, NaN] of the project's checker and of plain math-verify."""
    from math_verify import parse, verify

    from efficient_reasoning.verifier import Verifier

    cases = [json.loads(line) for path in cases_paths for line in path.read_text().splitlines() if line.strip()]
    verifier = Verifier(timeout=timeout, num_workers=workers)
    ours = []
    for kind in ("math", "choice"):
        part = [c for c in cases if (c["kind"] == "choice") == (kind == "choice")]
        ours += list(zip(part, verifier([c["completion"] for c in part], [c["gold"] for c in part], kind=kind)))
    verifier.close()
    table: dict[str, dict[str, list[int]]] = {}
    for case, score in ours:
        try:
            plain = float(verify(parse(case["gold"]), parse(case["completion"])))
        except Exception:
            plain = float("nan")
        for name, s in (("project", score), ("plain", plain)):
            row = table.setdefault(case["kind"], {}).setdefault(name, [0, 0, 0, 0])
            row[0] += 1
            row[1] += s == case["expected"]
            row[2] += s == 1.0 and case["expected"] == 0
            row[3] += s != s
    print(f"\nlabelled cases ({', '.join(map(str, cases_paths))}): agreement / false positives / NaN")
    print(f"{'kind':<16} {'cases':>5}  {'project':>22}  {'plain math-verify':>22}")
    for kind, rows in table.items():
        cells = [f"{r[1] / r[0]:7.1%} {r[2]:5d} FP {r[3]:3d} NaN" for r in (rows["project"], rows["plain"])]
        print(f"{kind:<16} {rows['project'][0]:>5}  {cells[0]:>22}  {cells[1]:>22}")
    totals = {name: [sum(rows[name][i] for rows in table.values()) for i in range(4)] for name in ("project", "plain")}
    cells = [f"{r[1] / r[0]:7.1%} {r[2]:5d} FP {r[3]:3d} NaN" for r in totals.values()]
    print(f"{'all':<16} {totals['project'][0]:>5}  {cells[0]:>22}  {cells[1]:>22}")
    behind = [kind for kind, rows in table.items() if rows["project"][1] < rows["plain"][1]]
    print(f"kinds where plain math-verify agrees more often: {', '.join(behind) or 'none'}")
    return {"by_kind": table, "total": totals, "plain_ahead": behind}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num", type=int, default=256)
    parser.add_argument("--chars", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--passes", type=int, default=1, help="score the batch this many times, one pool")
    default = Path(os.environ.get("EFFICIENT_REASONING_SHARED_DATA", "../shared/data")) / "eval" / "math500.jsonl"
    parser.add_argument("--math500", type=Path, default=default, help="gold answers (falls back to a built-in list)")
    folder = Path(__file__).resolve().parents[1] / "tests" / "cases"
    cases = [folder / "verifier_cases.jsonl", folder / "math_verify_cases.jsonl"]
    parser.add_argument("--cases", type=Path, nargs="*", default=cases, help="labelled cases (none, or '', to skip)")
    args = parser.parse_args(argv)

    from efficient_reasoning.verifier import Verifier

    completions, golds = build_batch(load_golds(args.math500), args.num, args.chars)
    verifier = Verifier(timeout=args.timeout, num_workers=args.workers)
    verifier([completions[0]], [golds[0]])  # start the pool outside the timing
    full_rates, normal_rates = [], []
    for _ in range(args.passes):
        start = time.perf_counter()
        ours = verifier(completions, golds)
        ours_seconds = time.perf_counter() - start
        start = time.perf_counter()
        verifier(completions[: -len(PATHOLOGICAL)], golds[: -len(PATHOLOGICAL)])
        ours_normal_seconds = time.perf_counter() - start
        full_rates.append(len(completions) / ours_seconds)
        normal_rates.append((len(completions) - len(PATHOLOGICAL)) / ours_normal_seconds)
    worst = 0.0
    for completion, gold in zip(completions, golds):  # one at a time: each completion's own latency
        t = time.perf_counter()
        verifier([completion], [gold])
        worst = max(worst, time.perf_counter() - t)
    verifier.close()

    start = time.perf_counter()
    _, plain_times = plain_loop(completions, golds)
    plain_seconds = time.perf_counter() - start

    result = {
        "completions": len(completions),
        "project_per_second": len(completions) / ours_seconds,
        "plain_per_second": len(completions) / plain_seconds,
        "throughput_ratio": plain_seconds / ours_seconds,
        "project_worst_seconds": worst,
        "plain_worst_seconds": max(plain_times),
        "timeout": args.timeout,
        "unscorable": sum(1 for s in ours if s != s),
    }
    print(f"{len(completions)} completions of ~{args.chars} characters ({len(PATHOLOGICAL)} pathological)")
    print(f"project verifier: {result['project_per_second']:8.1f} completions/s, worst {worst:.2f} s")
    print(f"plain loop:       {result['plain_per_second']:8.1f} completions/s, worst {max(plain_times):.2f} s")
    normal = plain_times[: -len(PATHOLOGICAL)]
    result["project_per_second_without_pathological"] = len(normal) / ours_normal_seconds
    result["plain_per_second_without_pathological"] = len(normal) / sum(normal)
    print(
        f"without the pathological ones: project {result['project_per_second_without_pathological']:.1f}, "
        f"plain {result['plain_per_second_without_pathological']:.1f} completions/s"
    )
    if args.passes > 1:
        result["project_per_second_passes"], result["project_normal_per_second_passes"] = full_rates, normal_rates
        print(f"project verifier per pass, full batch: {', '.join(f'{r:.0f}' for r in full_rates)} completions/s")
        print(f"project verifier per pass, ordinary:   {', '.join(f'{r:.0f}' for r in normal_rates)} completions/s")
    print(f"throughput ratio project/plain: {result['throughput_ratio']:.2f}x (target >= 1)")
    # the bound is `timeout` seconds of CPU time per check, which a busy machine stretches in wall time, and a
    # wall-clock backstop of `2 * timeout`; allow 0.5 s of process round trip
    wall = 2 * args.timeout
    bound_ok = worst <= wall + 0.5
    result["within_bound"] = bound_ok
    print(f"worst completion within the {wall:g} s wall backstop (+0.5 s round trip): {'yes' if bound_ok else 'NO'}")
    paths = [p for p in args.cases if str(p) and p.is_file()]
    if paths:
        result["agreement"] = agreement(paths, args.workers, args.timeout)
    return result


if __name__ == "__main__":
    main()
