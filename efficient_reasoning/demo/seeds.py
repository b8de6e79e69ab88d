"""A demo over several seeds: one full run per seed (`OUTPUT_DIR/seed-N`, each resumable), then a row per seed of
what the checks test, with the spread over the seeds (`OUTPUT_DIR/seeds.md`, `seeds.json`). The toy demo's
measures and columns are the defaults; the real-model experiment passes its own.

    python -m efficient_reasoning.demo --seeds 0,1,2,3,4 --output_dir data/demo-seeds
    OMP_NUM_THREADS=1 python -m efficient_reasoning.demo --seeds 0,1,2,3,4 --output_dir data/demo-seeds-1thread
    python -m efficient_reasoning.demo --model smollm2-135m-instruct --seeds 0,1,2 --output_dir data/real-demo
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

from . import run as toy
from .run import MAX_ALPHA_RATIO, MAX_HARD_DROP, MIN_SAVING, MIN_SAVING_RATIO, MIN_SFT_PASS, RISE_TOLERANCE

# (key, column head, format); the thresholds are those of `run.check`
COLUMNS = [
    ("sft_lowest_pass", f"SFT start: lowest pass rate (>= {MIN_SFT_PASS})", "{:.3f}"),
    ("largest_rise", f"largest token rise as alpha grows (<= {RISE_TOLERANCE:g})", "{:.1f}"),
    ("alpha_ratio", f"strongest alpha's tokens / alpha=0's (<= {MAX_ALPHA_RATIO:.0%})", "{:.0%}"),
    ("saved_easy", f"default alpha: saved on level 1 (>= {MIN_SAVING:.0%})", "{:.0%}"),
    ("saved_hard", f"saved on level 6 (level 1 >= {MIN_SAVING_RATIO:g}x this)", "{:.0%}"),
    ("hard_drop", f"level 6 pass-rate drop (<= {MAX_HARD_DROP:.2f})", "{:+.3f}"),
    ("ablation_drop", "grpo ablation: largest pass-rate drop over levels (not checked)", "{:+.3f}"),
]

# the real-model experiment's (demo/real_model.py `measures`; thresholds of its `check`)
REAL_MODEL_COLUMNS = [
    ("start_pass", "start: pass rate", "{:.3f}"),
    ("zero_pass", "alpha=0: pass rate (> start's)", "{:.3f}"),
    ("alpha_pass", "alpha>0: pass rate", "{:.3f}"),
    ("pass_change", "alpha>0 - alpha=0 (>= -0.03)", "{:+.3f}"),
    ("token_ratio", "alpha>0's tokens / alpha=0's (<= 75%)", "{:.0%}"),
    ("cutoff_pass", "alpha=0 cut to alpha>0's tokens: pass rate (< alpha>0's)", "{:.3f}"),
]


def avg_tokens(m: dict) -> float:
    """A model's average tokens in a summary's results (the real-model experiment's hold them under "all")."""
    return m["all"]["avg_tokens"] if "all" in m else m["avg_tokens"]


def seed_row(folder: Path, s, checks: list[tuple[str, bool]], measures=toy.measures) -> dict:
    results = json.loads((folder / "summary.json").read_text())["results"]
    tokens = {label: round(avg_tokens(m), 1) for label, m in results.items()}
    return {"seed": s.seed, **measures(results, s), "tokens": tokens, "checks_passed": sum(ok for _, ok in checks),
            "checks": len(checks)}  # fmt: skip


def _span(values, fmt: str) -> str:
    values = list(values)
    return f"{fmt.format(min(values))} to {fmt.format(max(values))}"


def table(rows: list[dict], columns=COLUMNS) -> str:
    columns = [c for c in columns if all(c[0] in r for r in rows)]
    labels = list(rows[0]["tokens"])
    head = ["seed", *(c[1] for c in columns), *(f"tokens: {label}" for label in labels), "checks passed"]
    lines = ["| " + " | ".join(head) + " |", "|---:|" + "---:|" * (len(head) - 1)]
    for r in rows:
        cells = [str(r["seed"]), *(fmt.format(r[key]) for key, _, fmt in columns)]
        cells += [f"{r['tokens'][label]:.1f}" for label in labels] + [f"{r['checks_passed']} of {r['checks']}"]
        lines.append("| " + " | ".join(cells) + " |")
    spread = ["spread", *(_span((r[key] for r in rows), fmt) for key, _, fmt in columns)]
    spread += [_span((r["tokens"][label] for r in rows), "{:.1f}") for label in labels]
    spread.append(f"{sum(r['checks_passed'] == r['checks'] for r in rows)} of {len(rows)} seeds")
    lines.append("| " + " | ".join(spread) + " |")
    return "\n".join(lines) + "\n"


def run_seeds(out: Path, settings, seeds: list[int], run=None, measures=toy.measures, columns=COLUMNS) -> bool:
    """Run every seed (`run(folder, settings)`, the toy demo's by default; a finished one is read back), write the
    table, and say whether every check held on each."""
    run = run or toy.run
    rows = []
    for seed in seeds:
        s = replace(settings, seed=seed)
        folder = out / f"seed-{seed}"
        rows.append(seed_row(folder, s, run(folder, s), measures))
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    (out / "seeds.json").write_text(json.dumps({"omp_num_threads": threads, "rows": rows}, indent=2))
    text = table(rows, columns)
    (out / "seeds.md").write_text(text)
    print(
        f"\nover seeds {', '.join(map(str, seeds))} (OMP_NUM_THREADS={threads}):\n\n{text}\nwritten to {out}/seeds.md"
    )
    return all(r["checks_passed"] == r["checks"] for r in rows)
