"""The CPU demo: an over-thinking tiny model, the length penalty at several alphas, and what it does.

    python -m efficient_reasoning.demo                      # default preset, about 12 minutes on 2 cores
    python -m efficient_reasoning.demo --preset quick       # a couple of minutes, a weaker effect
    python -m efficient_reasoning.demo --preset long --output_dir data/demo-long

Stages, each skipped when its output exists (so an interrupted demo resumes): the task's data, a tiny Qwen2 model
built from scratch, SFT on verbose traces (`efficient_reasoning.sft`, `recipes/demo/sft.yaml`), GRPO with the
length penalty for every alpha and the std-scaled `grpo` ablation (`efficient_reasoning.grpo`,
`recipes/demo/grpo.yaml`), evaluation of every model on the held-out split (`efficient_reasoning.evaluate`), and
a report: `table.md`, `accuracy_vs_tokens.png`, `training_dynamics.png` (the RL runs' logged accuracy, tokens,
truncation and reward per step) and `summary.json` with the demo's own checks.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..generation import HelpFormatter, write_jsonl
from ..utils import setup_logging
from . import task

logger = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "recipes" / "demo"


@dataclass(frozen=True)
class DemoSettings:
    num_train: int = 8000
    num_heldout: int = 200
    max_rereads: int = 6
    hidden_size: int = 128
    num_layers: int = 4
    sft_epochs: int = 2
    rl_steps: int = 60
    alphas: tuple[float, ...] = (0.0, 0.1, 0.4)
    ablation_alpha: float | None = 0.1  # the std-scaled `grpo` advantage at this alpha (None: skip)
    eval_k: int = 2
    max_tokens: int = 128
    seed: int = 0


PRESETS = {
    "quick": DemoSettings(num_train=4000, num_heldout=100, sft_epochs=2, rl_steps=25, ablation_alpha=None),
    "default": DemoSettings(),
    "long": DemoSettings(num_train=12000, num_heldout=500, sft_epochs=3, rl_steps=150, eval_k=4),
}


def prepare_data(out: Path, s: DemoSettings) -> None:
    if (out / "data" / "heldout.jsonl").exists():
        return
    train, heldout = task.splits(s.num_train, s.num_heldout, s.seed)
    (out / "data").mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "data" / "sft.jsonl", task.sft_rows(train, s.max_rereads, s.seed))
    write_jsonl(out / "data" / "train.jsonl", task.as_rows(train))
    write_jsonl(out / "data" / "heldout.jsonl", task.as_rows(heldout, start_id=len(train)))


def build_initial_model(out: Path, s: DemoSettings) -> None:
    if (out / "init" / "model.safetensors").exists():
        return
    from ..tiny import build_model, build_tokenizer

    train, _ = task.splits(s.num_train, s.num_heldout, s.seed)
    tokenizer = build_tokenizer(1000, task.tokenizer_corpus(train[:2000], s.max_rereads))
    model = build_model(tokenizer, s.hidden_size, s.num_layers, s.seed)
    model.save_pretrained(out / "init")
    tokenizer.save_pretrained(out / "init")  # every stage reloads it from here, so all tokenize alike


def run_sft(out: Path, s: DemoSettings) -> Path:
    target = out / "sft"
    if not (target / "model.safetensors").exists():
        from .. import sft

        argv = ["--config", str(RECIPES / "sft.yaml"), "--model_name_or_path", str(out / "init"),
                "--dataset_name", str(out / "data" / "sft.jsonl"), "--output_dir", str(target),
                "--num_train_epochs", str(s.sft_epochs), "--seed", str(s.seed)]  # fmt: skip
        sft.main(*sft.parse(argv), recipe=str(RECIPES / "sft.yaml"))
    return target


def run_rl(out: Path, s: DemoSettings, alpha: float, estimator: str) -> Path:
    target = out / f"rl-{estimator}-alpha{alpha:g}"
    if not (target / "model.safetensors").exists():
        from .. import grpo

        argv = ["--config", str(RECIPES / "grpo.yaml"), "--model_name_or_path", str(out / "sft"),
                "--dataset_name", str(out / "data" / "train.jsonl"), "--output_dir", str(target),
                "--length_penalty_alpha", str(alpha), "--advantage_estimator", estimator,
                "--max_steps", str(s.rl_steps), "--seed", str(s.seed)]  # fmt: skip
        grpo.main(*grpo.parse(argv), recipe=str(RECIPES / "grpo.yaml"))
    return target


def evaluate_model(out: Path, s: DemoSettings, label: str, model_dir: Path) -> dict:
    metrics_file = out / "eval" / label / "heldout" / "metrics.json"
    if metrics_file.exists():
        return json.loads(metrics_file.read_text())
    from ..evaluate import Benchmark, evaluate_benchmark, load_problems
    from ..generation import SamplingSettings, TransformersGenerator
    from ..verifier import Verifier

    bench = Benchmark("heldout", "", None, "", "heldout.jsonl", "problem", "answer", k=s.eval_k, id_column="id")
    problems = load_problems(bench, str(out / "data" / "heldout.jsonl"))
    generator = TransformersGenerator(str(model_dir), batch_size=100)
    settings = SamplingSettings("{question}", True, 0.6, 1.0, s.max_tokens, s.seed, chunk_size=100)
    verifier = Verifier(timeout=5.0)
    try:
        return evaluate_benchmark(bench, problems, generator, verifier, out / "eval" / label, s.eval_k, settings, ())
    finally:
        verifier.close()


def check(results: dict[str, dict], s: DemoSettings) -> list[tuple[str, bool]]:
    """The demo's claims, as (statement, holds) pairs."""
    sft, strong = results["SFT start"], results.get(f"RL alpha={max(s.alphas):g}")
    checks = []
    if strong is not None:
        ratio = strong["avg_tokens"] / sft["avg_tokens"]
        drop = sft["pass_rate"] - strong["pass_rate"]
        checks.append((f"alpha={max(s.alphas):g} uses {ratio:.0%} of the SFT start's tokens (<= 60%)", ratio <= 0.6))
        change = f"{abs(drop) * 100:.1f} points {'below' if drop > 0 else 'above'}"
        checks.append(
            (f"alpha={max(s.alphas):g} pass rate is {change} the SFT start's (at most 3 below)", drop <= 0.03)
        )
    tokens = [results[f"RL alpha={a:g}"]["avg_tokens"] for a in sorted(s.alphas) if f"RL alpha={a:g}" in results]
    if len(tokens) >= 3:
        ordered = all(x >= y for x, y in zip(tokens, tokens[1:]))
        checks.append((f"tokens fall as alpha grows: {', '.join(f'{t:.1f}' for t in tokens)}", ordered))
    return checks


def report(out: Path, results: dict[str, dict], s: DemoSettings) -> list[tuple[str, bool]]:
    from ..plot import Point, plot_benchmark

    sft_tokens = results["SFT start"]["avg_tokens"]
    lines = ["| model | pass rate | avg tokens | tokens vs SFT | truncated |", "|---|---:|---:|---:|---:|"]
    for label, m in results.items():
        lines.append(
            f"| {label} | {m['pass_rate']:.3f} | {m['avg_tokens']:.1f} | {m['avg_tokens'] / sft_tokens:.0%} | "
            f"{m['truncated_frac']:.1%} |"
        )
    table = "\n".join(lines) + "\n"
    (out / "table.md").write_text(table)
    points = [
        Point(label, "heldout", m["avg_tokens"], m["pass_rate"], "ours", "model") for label, m in results.items()
    ]
    plot_benchmark(points, "demo held-out split", out / "accuracy_vs_tokens.png", ylim=(0.0, 1.05))
    checks = check(results, s)
    summary = {"settings": asdict(s), "results": results, "checks": [{"claim": c, "holds": ok} for c, ok in checks]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print("\n" + table)
    for claim, ok in checks:
        print(f"[{'ok' if ok else 'FAILED'}] {claim}")
    print(f"\nwritten to {out}: table.md, accuracy_vs_tokens.png, summary.json")
    return checks


def training_dynamics(out: Path, models: dict[str, Path]) -> Path:
    """The RL runs' logged accuracy, tokens, truncation and reward against the step (`training_dynamics.png`)."""
    from ..dynamics import load_run, plot_dynamics

    runs = [load_run(path) for label, path in models.items() if label.startswith("RL ")]
    return plot_dynamics(runs, out / "training_dynamics.png")


def run(out: Path, s: DemoSettings) -> list[tuple[str, bool]]:
    out.mkdir(parents=True, exist_ok=True)
    logger.info("demo settings: %s", s)
    prepare_data(out, s)
    build_initial_model(out, s)
    models = {"SFT start": run_sft(out, s)}
    for alpha in s.alphas:
        models[f"RL alpha={alpha:g}"] = run_rl(out, s, alpha, "rloo")
    if s.ablation_alpha is not None:
        models[f"RL alpha={s.ablation_alpha:g}, grpo advantage"] = run_rl(out, s, s.ablation_alpha, "grpo")
    results = {label: evaluate_model(out, s, label.replace(" ", "_").replace(",", ""), path)
               for label, path in models.items()}  # fmt: skip
    checks = report(out, results, s)
    print(f"training dynamics of the RL runs: {training_dynamics(out, models)}")
    return checks


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--output_dir", default="data/demo")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--rl_steps", type=int, default=None, help="override the preset's GRPO steps per run")
    parser.add_argument("--alphas", default=None, help="comma-separated, e.g. 0,0.1,0.4")
    parser.add_argument("--no_check", action="store_true", help="exit 0 even when a claim does not hold")
    args = parser.parse_args(argv)
    settings = PRESETS[args.preset]
    if args.rl_steps is not None:
        settings = replace(settings, rl_steps=args.rl_steps)
    if args.alphas:
        settings = replace(settings, alphas=tuple(float(a) for a in args.alphas.split(",")))
    checks = run(Path(args.output_dir), settings)
    return 0 if args.no_check or all(ok for _, ok in checks) else 1
