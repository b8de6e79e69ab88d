"""The CPU demo: an over-thinking tiny model on problems of 4 difficulty levels, the length penalty at several
alphas, and what it does per level.

    python -m efficient_reasoning.demo                      # default preset, about 5 minutes on 2 cores
    python -m efficient_reasoning.demo --preset quick       # fewer RL steps and held-out problems, no ablation
    python -m efficient_reasoning.demo --preset long --output_dir data/demo-long

Stages, each skipped when its output exists (so an interrupted demo resumes): the task's data, a tiny Qwen2 model
built from scratch, SFT on verbose traces (`efficient_reasoning.sft`, `recipes/demo/sft.yaml`), GRPO with the
length penalty for every alpha and the std-scaled `grpo` ablation (`efficient_reasoning.grpo`,
`recipes/demo/grpo.yaml`), evaluation of every model on the held-out split (`efficient_reasoning.evaluate`, per
level), and a report: `table.md` (per level), `accuracy_vs_tokens.png` and `tokens_by_level.png` (`plots.py`),
`training_dynamics.png` (the RL runs' logged accuracy, tokens, truncation and reward per step), `summary.json` with
the demo's own checks, and `stage_times.json` (also printed).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..generation import write_jsonl
from . import task

logger = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "recipes" / "demo"

# thresholds of the demo's checks (see `check`)
MIN_SFT_PASS = 0.95
RISE_TOLERANCE = 2.0  # tokens; sampling noise between neighbouring alphas that both reach the needed steps
MAX_ALPHA_RATIO = 0.85
MIN_SAVING = 0.2  # share of the SFT start's tokens saved on the easiest level
MIN_SAVING_RATIO = 1.3  # ...and how many times the hardest level's share
MAX_HARD_DROP = 0.05


@dataclass(frozen=True)
class DemoSettings:
    num_train: int = 4000
    num_heldout: int = 400  # 100 per level
    max_rechecks: int = 6
    hidden_size: int = 128
    num_layers: int = 2
    sft_epochs: int = 3
    rl_steps: int = 30
    alphas: tuple[float, ...] = (0.0, 0.1, 0.4)
    ablation_alpha: float | None = 0.1  # the std-scaled `grpo` advantage at this alpha (None: skip)
    default_alpha: float = 0.1  # the paper's default-like alpha, whose per-level effect the checks test
    eval_k: int = 2
    max_tokens: int = 160
    seed: int = 0


PRESETS = {
    "quick": DemoSettings(num_heldout=200, rl_steps=20, ablation_alpha=None),
    "default": DemoSettings(),
    "long": DemoSettings(num_train=8000, num_heldout=800, eval_k=4),
}


def prepare_data(out: Path, s: DemoSettings) -> None:
    if (out / "data" / "heldout.jsonl").exists():
        return
    train, heldout = task.splits(s.num_train, s.num_heldout, s.seed)
    (out / "data").mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "data" / "sft.jsonl", task.sft_rows(train, s.max_rechecks, s.seed))
    write_jsonl(out / "data" / "train.jsonl", task.as_rows(train))
    write_jsonl(out / "data" / "heldout.jsonl", task.as_rows(heldout, start_id=len(train)))


def build_initial_model(out: Path, s: DemoSettings) -> None:
    if (out / "init" / "model.safetensors").exists():
        return
    from ..tiny import build_model, build_tokenizer

    train, _ = task.splits(s.num_train, s.num_heldout, s.seed)
    tokenizer = build_tokenizer(1000, task.tokenizer_corpus(train[:2000], s.max_rechecks))
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

    bench = Benchmark("heldout", "", None, "", "heldout.jsonl", "problem", "answer", k=s.eval_k, id_column="id",
                      level_column="level")  # fmt: skip
    problems = load_problems(bench, str(out / "data" / "heldout.jsonl"))
    generator = TransformersGenerator(str(model_dir), batch_size=100)
    settings = SamplingSettings("{question}", True, 0.6, 1.0, s.max_tokens, s.seed, chunk_size=100)
    verifier = Verifier(timeout=5.0)
    try:
        return evaluate_benchmark(bench, problems, generator, verifier, out / "eval" / label, s.eval_k, settings, ())
    finally:
        verifier.close()


def _tokens(m: dict, level: str) -> float:
    return m["by_level"][level]["avg_tokens"]


def measures(results: dict[str, dict], s: DemoSettings) -> dict[str, float]:
    """The quantities the checks test (absent when their models are): the SFT start's lowest pass rate over the
    levels, the largest rise of tokens between neighbouring alphas at any level, the strongest alpha's tokens as a
    share of the weakest's, the default alpha's share of tokens saved on the easiest and the hardest level, and its
    pass-rate drop on the hardest level (also that of the std-scaled ablation's lowest level, which no check tests)."""
    sft = results["SFT start"]
    levels = sorted(sft["by_level"], key=int)
    easy, hard = levels[0], levels[-1]
    rl = [results[f"RL alpha={a:g}"] for a in sorted(s.alphas) if f"RL alpha={a:g}" in results]
    m = {"sft_lowest_pass": min(sft["by_level"][lv]["pass_rate"] for lv in levels)}
    if len(rl) >= 2:
        m["largest_rise"] = max(_tokens(y, lv) - _tokens(x, lv) for lv in levels for x, y in zip(rl, rl[1:]))
        m["alpha_ratio"] = sum(_tokens(rl[-1], lv) for lv in levels) / sum(_tokens(rl[0], lv) for lv in levels)
    default = results.get(f"RL alpha={s.default_alpha:g}")
    if default is not None:
        m["saved_easy"], m["saved_hard"] = (1 - _tokens(default, lv) / _tokens(sft, lv) for lv in (easy, hard))
        m["hard_drop"] = sft["by_level"][hard]["pass_rate"] - default["by_level"][hard]["pass_rate"]
    ablation = results.get(f"RL alpha={s.ablation_alpha:g}, grpo advantage") if s.ablation_alpha is not None else None
    if ablation is not None:
        m["ablation_drop"] = max(sft["by_level"][lv]["pass_rate"] - ablation["by_level"][lv]["pass_rate"]
                                 for lv in levels)  # fmt: skip
    return m


def check(results: dict[str, dict], s: DemoSettings) -> list[tuple[str, bool]]:
    """The demo's claims, per difficulty level, as (statement, holds) pairs.

    Each fails for a broken method: a reward that ignores length leaves tokens flat across alphas (checks 2-3), one
    that ignores correctness skips the needed steps, so hard problems lose accuracy and save as much as easy ones
    (checks 4-5)."""
    m = measures(results, s)
    levels = sorted(results["SFT start"]["by_level"], key=int)
    easy, hard = levels[0], levels[-1]
    rl = {a: results[f"RL alpha={a:g}"] for a in sorted(s.alphas) if f"RL alpha={a:g}" in results}
    checks = [(f"the SFT start is accurate at every level: lowest pass rate {m['sft_lowest_pass']:.2f} "
               f"(>= {MIN_SFT_PASS})", m["sft_lowest_pass"] >= MIN_SFT_PASS)]  # fmt: skip
    if "alpha_ratio" in m:
        rises = {lv: [_tokens(r, lv) for r in rl.values()] for lv in levels}
        shown = "; ".join(f"level {lv}: " + ", ".join(f"{x:.1f}" for x in t) for lv, t in rises.items())
        checks.append((f"tokens fall at every level as alpha grows {tuple(rl)} ({shown})",
                       m["largest_rise"] <= RISE_TOLERANCE))  # fmt: skip
        checks.append((f"alpha={max(rl):g} uses {m['alpha_ratio']:.0%} of alpha={min(rl):g}'s tokens, summed over "
                       f"levels (<= {MAX_ALPHA_RATIO:.0%})", m["alpha_ratio"] <= MAX_ALPHA_RATIO))  # fmt: skip
    if "saved_easy" in m:
        easy_saved, hard_saved = m["saved_easy"], m["saved_hard"]
        checks.append((f"alpha={s.default_alpha:g} saves {easy_saved:.0%} of the SFT start's tokens on level {easy} "
                       f"and {hard_saved:.0%} on level {hard} (level {easy} at least {MIN_SAVING:.0%} and "
                       f"{MIN_SAVING_RATIO:g}x level {hard}'s share)",
                       easy_saved >= MIN_SAVING and easy_saved >= MIN_SAVING_RATIO * hard_saved))  # fmt: skip
        drop = m["hard_drop"]
        change = f"{abs(drop) * 100:.1f} points {'below' if drop > 0 else 'above'}"
        checks.append((f"alpha={s.default_alpha:g} pass rate on level {hard} is {change} the SFT start's "
                       f"(at most {MAX_HARD_DROP * 100:.0f} below)", drop <= MAX_HARD_DROP))  # fmt: skip
    return checks


def report(out: Path, results: dict[str, dict], s: DemoSettings) -> list[tuple[str, bool]]:
    from .plots import plot_accuracy_vs_tokens, plot_tokens_by_level

    sft = results["SFT start"]
    levels = sorted(sft["by_level"], key=int)
    head = "| model | all: pass / tokens | " + " | ".join(f"level {lv}: pass / tokens (saved)" for lv in levels) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(levels)]
    for label, m in results.items():
        cells = [f"{m['pass_rate']:.2f} / {m['avg_tokens']:.1f}"]
        for lv in levels:
            saved = 1 - _tokens(m, lv) / _tokens(sft, lv)
            cells.append(f"{m['by_level'][lv]['pass_rate']:.2f} / {_tokens(m, lv):.1f} ({saved:.0%})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    (out / "table.md").write_text(table)
    plot_accuracy_vs_tokens(results, out / "accuracy_vs_tokens.png")
    plot_tokens_by_level(results, out / "tokens_by_level.png")
    checks = check(results, s)
    summary = {"settings": asdict(s), "results": results, "checks": [{"claim": c, "holds": ok} for c, ok in checks]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print("\n" + table)
    for claim, ok in checks:
        print(f"[{'ok' if ok else 'FAILED'}] {claim}")
    print(f"\nwritten to {out}: table.md, accuracy_vs_tokens.png, tokens_by_level.png, summary.json")
    return checks


def training_dynamics(out: Path, models: dict[str, Path]) -> Path:
    """The RL runs' logged accuracy, tokens, truncation and reward against the step (`training_dynamics.png`)."""
    from ..dynamics import load_run, plot_dynamics

    runs = [load_run(path) for label, path in models.items() if label.startswith("RL ")]
    return plot_dynamics(runs, out / "training_dynamics.png")


class StageTimer:
    """Wall-clock seconds per stage (a resumed stage shows the time it took to find its output)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def __call__(self, name: str, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        self.times[name] = time.perf_counter() - start
        logger.info("stage %s: %.1f s", name, self.times[name])
        return result

    def summary(self) -> str:
        rows = [f"  {name:<40} {sec:7.1f} s" for name, sec in self.times.items()]
        return "\n".join(["stage times:", *rows, f"  {'total':<40} {sum(self.times.values()):7.1f} s"])


def run(out: Path, s: DemoSettings) -> list[tuple[str, bool]]:
    out.mkdir(parents=True, exist_ok=True)
    logger.info("demo settings: %s", s)
    timed = StageTimer()
    timed("data", prepare_data, out, s)
    timed("initial model and tokenizer", build_initial_model, out, s)
    models = {"SFT start": timed("SFT", run_sft, out, s)}
    for alpha in s.alphas:
        models[f"RL alpha={alpha:g}"] = timed(f"RL alpha={alpha:g}", run_rl, out, s, alpha, "rloo")
    if s.ablation_alpha is not None:
        label = f"RL alpha={s.ablation_alpha:g}, grpo advantage"
        models[label] = timed(label, run_rl, out, s, s.ablation_alpha, "grpo")
    results = {label: timed(f"evaluate {label}", evaluate_model, out, s, label.replace(" ", "_").replace(",", ""),
                            path) for label, path in models.items()}  # fmt: skip
    checks = timed("report", report, out, results, s)
    print(f"training dynamics of the RL runs: {timed('training dynamics plot', training_dynamics, out, models)}")
    print(timed.summary())
    (out / "stage_times.json").write_text(json.dumps(timed.times, indent=2))
    return checks
