"""The length rewards side by side on the CPU demo's task: same data, same SFT start, same RL steps and seed.

    python -m efficient_reasoning.demo.compare --preset quick --output_dir data/demo
    python -m efficient_reasoning.demo.compare --methods paper,kimi,cosine --rl_steps 40
    python -m efficient_reasoning.demo.compare --targets 40,60,80,100,120   # and L1's target-length control

Reuses the demo's stages (data, initial model, SFT; each skipped when its output exists, so it shares a finished
`python -m efficient_reasoning.demo` folder), then trains one RL run per method (`recipes/demo/grpo.yaml` with
`--length_reward` and the method's parameters), evaluates every model on the held-out split and writes
`compare/table.md`, `compare/accuracy_vs_tokens.png` (one point per method) and `compare/summary.json`.
With `--targets`, also L1's target-length control: one RL run with `l1_exact` and a budget per prompt, stated in it
(`TARGET_METHOD`), then the SFT start and that model asked for each budget on the held-out split through
`evaluate --target_tokens`: `compare/target_length.md` (pass rate, used tokens, mean absolute and relative error per
budget) and `compare/targets_heldout.png` (used vs requested tokens).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

from ..cli import ArgumentParser, ItemList, SettingError, check_output_dir, check_range, command
from ..utils import setup_logging
from .run import PRESETS, RECIPES, DemoSettings, build_initial_model, evaluate_model, prepare_data, run_sft

logger = logging.getLogger(__name__)

# Parameters for the demo's scale: answers of about 15 to 160 tokens, `max_completion_length` 160.
METHODS: dict[str, dict[str, str]] = {
    "correctness": {"length_reward": "paper", "length_penalty_alpha": "0"},
    "paper": {"length_reward": "paper", "length_penalty_alpha": "0.4"},
    "kimi": {"length_reward": "kimi", "kimi_weight": "1"},
    "shortest_correct": {"length_reward": "shortest_correct", "shorter_alpha": "2", "shorter_beta": "0.01"},
    "overlong": {"length_reward": "overlong", "overlong_max_length": "160", "overlong_cache_length": "120"},
    "truncation": {"length_reward": "truncation", "truncation_budget": "80"},
    "cosine": {"length_reward": "cosine", "cosine_max_length": "160"},
    # Laser: the target just above the task's needed ~52 tokens; Laser-D: by accuracy bucket (easy, medium, hard)
    "laser": {"length_reward": "laser", "laser_targets": "60"},
    "laser_d": {"length_reward": "laser", "laser_targets": "60 90 130"},
    # DOT: alpha below 8 samples' largest possible z-score (2.47); margin 2 for DOT's 32 of 8,192 tokens
    "dot": {"length_reward": "dot", "dot_alpha": "2", "dot_margin": "2"},
    # DLER's recipe at the demo's scale: truncation with batch-std advantages and clip-higher
    "dler": {
        "length_reward": "truncation",
        "truncation_budget": "80",
        "scale_rewards": "batch",
        "epsilon_high": "0.28",
    },  # fmt: skip
}
# L1-Exact with a budget per training prompt, drawn from the range of the demo's answer lengths; alpha scaled to
# them (L1's 3e-4 is for budgets of thousands of tokens).
TARGET_METHOD = {"length_reward": "l1_exact", "l1_alpha": "0.01", "target_length_min": "20",
                 "target_length_max": "140"}  # fmt: skip


def method_params(name: str) -> dict[str, str]:
    """The `grpo` arguments of a method: one of `METHODS`, or `l1_exact` (`TARGET_METHOD`)."""
    return TARGET_METHOD if name == "l1_exact" else METHODS[name]


def method_label(name: str) -> str:
    params = {k: v for k, v in method_params(name).items() if k != "length_reward"}
    return f"{name} (" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"


def run_method(out: Path, s: DemoSettings, name: str, rl_args: Sequence[str] = ()) -> Path:
    """One RL run from the demo's SFT model with the method's reward; the rest of the recipe (and `rl_args`, extra
    `grpo` arguments given to every method) is shared."""
    target = out / f"compare-{name}"
    if not (target / "model.safetensors").exists():
        from .. import grpo

        argv = ["--config", str(RECIPES / "grpo.yaml"), "--model_name_or_path", str(out / "sft"),
                "--dataset_name", str(out / "data" / "train.jsonl"), "--output_dir", str(target),
                "--max_steps", str(s.rl_steps), "--seed", str(s.seed)]  # fmt: skip
        for key, value in method_params(name).items():
            argv += [f"--{key}", *value.split()]  # several values: Laser-D's targets
        argv += list(rl_args)
        grpo.main(*grpo.parse(argv), recipe=str(RECIPES / "grpo.yaml"))
    return target


def compare(out: Path, s: DemoSettings, methods: list[str], rl_args: Sequence[str] = ()) -> dict[str, dict]:
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise SettingError(f"unknown method(s) {unknown}; choose from {sorted(METHODS)}")
    out.mkdir(parents=True, exist_ok=True)
    prepare_data(out, s)
    build_initial_model(out, s)
    models = {"SFT start": run_sft(out, s)}
    for name in methods:
        models[name] = run_method(out, s, name, rl_args)
    # the SFT start under the demo's own label: a finished demo's evaluation of it is reused
    results = {label: evaluate_model(out, s, "SFT_start" if label == "SFT start" else f"compare_{label}", path)
               for label, path in models.items()}  # fmt: skip
    write_report(out / "compare", results, s)
    return results


def target_length_control(out: Path, s: DemoSettings, targets: Sequence[int], rl_args: Sequence[str] = ()) -> dict:
    """L1 on the demo: train `l1_exact` with budgets in the prompts, then ask the SFT start and that model for each
    of `targets` tokens on the held-out split; returns `target_length.json` of each, by model label."""
    from .. import evaluate
    from ..plot import plot_targets

    prepare_data(out, s)
    build_initial_model(out, s)
    models = {"SFT start": run_sft(out, s), "l1_exact": run_method(out, s, "l1_exact", rl_args)}
    folders, summaries = [], {}
    for label, path in models.items():
        folder = out / "compare" / "targets" / label.replace(" ", "_")
        evaluate.main(["--model_name_or_path", str(path), "--output_dir", str(folder), "--benchmarks", "heldout",
                       "--data_file", f"heldout={out / 'data' / 'heldout.jsonl'}", "--backend", "transformers",
                       "--prompt_template", "{question}", "--max_completion_length", str(s.max_tokens),
                       "--num_generations", str(s.eval_k),
                       "--seed", str(s.seed), "--batch_size", "100", "--chunk_size", "100", "--cutoffs", "",
                       "--target_tokens", *map(str, targets)])  # fmt: skip
        folders.append(str(folder))
        summaries[label] = json.loads((folder / "target_length.json").read_text())["heldout"]
    lines = [
        "| model | budget | pass rate | used tokens | mean abs error | mean rel error |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, rows in summaries.items():
        name = method_label(label) if label == "l1_exact" else label
        for r in rows:
            lines.append(f"| {name} | {r['target_tokens']} | {r['pass_rate']:.3f} | {r['mean_tokens']:.1f} | "
                         f"{r['mean_abs_error']:.1f} | {r['mean_rel_error']:.1%} |")  # fmt: skip
    table = "\n".join(lines) + "\n"
    (out / "compare" / "target_length.md").write_text(table)
    plot_targets(folders, out / "compare")
    print("\n" + table + f"\nwritten to {out / 'compare'}: target_length.md, targets_heldout.png")
    return summaries


def write_report(folder: Path, results: dict[str, dict], s: DemoSettings) -> None:
    from ..plot import Point, plot_benchmark

    folder.mkdir(parents=True, exist_ok=True)
    lines = ["| method | pass rate | avg tokens | tokens of correct | truncated |", "|---|---:|---:|---:|---:|"]
    for name, m in results.items():
        label = method_label(name) if name in METHODS else name
        correct = f"{m['avg_tokens_correct']:.1f}" if m["avg_tokens_correct"] is not None else "-"
        lines.append(
            f"| {label} | {m['pass_rate']:.3f} | {m['avg_tokens']:.1f} | {correct} | {m['truncated_frac']:.1%} |"
        )
    table = "\n".join(lines) + "\n"
    (folder / "table.md").write_text(table)
    points = [Point(name, "heldout", m["avg_tokens"], m["pass_rate"], "ours", "model") for name, m in results.items()]
    low = min(m["pass_rate"] for m in results.values())
    ylim = (max(0.0, low - 0.05), 1.01)  # spans the data: the methods differ by a few points
    plot_benchmark(points, "length rewards on the demo task", folder / "accuracy_vs_tokens.png", ylim, legend=True)
    methods = {name: METHODS.get(name, {}) for name in results}
    summary = {"settings": asdict(s), "methods": methods, "results": results}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    print("\n" + table + f"\nwritten to {folder}: table.md, accuracy_vs_tokens.png, summary.json")


def main(argv: list[str] | None = None) -> dict[str, dict]:
    setup_logging()
    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--output_dir", default="data/demo")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--methods", action=ItemList, default=",".join(METHODS),
                        help=f"of {list(METHODS)}, separated by commas or spaces")  # fmt: skip
    parser.add_argument("--rl_steps", type=int, default=None, help="override the preset's GRPO steps per run")
    parser.add_argument("--num_train", type=int, default=None, help="override the preset's training problems")
    parser.add_argument("--num_heldout", type=int, default=None, help="override the preset's held-out problems")
    parser.add_argument("--targets", action=ItemList, kind=int, default=None,
                        help="budgets, by commas or spaces: also run L1's target-length control")  # fmt: skip
    args = parser.parse_args(argv)
    settings = PRESETS[args.preset]
    for key in ("rl_steps", "num_train", "num_heldout"):
        check_range(f"--{key}", getattr(args, key), 1)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise SettingError(f"--methods: unknown method(s) {unknown}; choose from {list(METHODS)}")
    targets = args.targets or []
    for t in targets:
        check_range("--targets", t, 1)
    check_output_dir(args.output_dir)
    for key in ("rl_steps", "num_train", "num_heldout"):
        if getattr(args, key) is not None:
            settings = replace(settings, **{key: getattr(args, key)})
    results = compare(Path(args.output_dir), settings, methods) if methods else {}
    if targets:
        results["target_length"] = target_length_control(Path(args.output_dir), settings, targets)
    return results


if __name__ == "__main__":
    command(main)
