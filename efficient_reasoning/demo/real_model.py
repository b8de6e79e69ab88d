"""The paper's experiment at CPU scale on a real instruction model: SmolLM2-135M-Instruct trained with GRPO and the
length penalty at alpha = 0 (correctness only) and alpha > 0 on arithmetic word problems of 3 levels, evaluated per
level on held-out problems against the starting model and the generation-cutoff baseline.

    python -m efficient_reasoning.demo --model smollm2-135m-instruct                     # one seed
    python -m efficient_reasoning.demo --model smollm2-135m-instruct --seeds 0,1,2 --output_dir data/real-demo

Stages, each skipped when its output exists (an interrupted run resumes): the model (`efficient_reasoning.models`,
built once in `OUTPUT_DIR/model`, or `--model_dir`), the problems (`demo/word_problems.py`), one RL run per alpha
(`python -m efficient_reasoning.grpo --config recipes/smollm2/grpo.yaml`), the evaluation of the start and of each
RL model on the held-out problems (`python -m efficient_reasoning.evaluate`, with vLLM where it is installed), and a
report: `table.md` (per level, with the cutoff baseline of the alpha = 0 model at the alpha > 0 model's tokens),
`accuracy_vs_tokens.png`, `training_dynamics.png` and `summary.json` with the experiment's checks. Each RL run and
evaluation is a command of its own, printed as it starts, so that every engine's memory is freed for the next.
With a GPU, the same stages run with the recipe's CPU settings switched off (`GPU_OVERRIDES`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from ..metrics import at_cutoff, by_level, summarize

logger = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "smollm2" / "grpo.yaml"
MODEL = "smollm2-135m-instruct"
BENCHMARK = "word_problems"

# the experiment's targets (the paper's shape: alpha > 0 keeps the pass rate of alpha = 0 with fewer tokens)
MAX_PASS_DROP = 0.03
MAX_TOKEN_RATIO = 0.75


@dataclass(frozen=True)
class RealModelSettings:
    num_train: int = 2000
    num_heldout: int = 300  # 100 per level
    rl_steps: int = 12
    alphas: tuple[float, ...] = (0.0, 0.4)
    eval_k: int = 2
    max_tokens: int = 128
    temperature: float = 0.6  # the paper's evaluation temperature
    cutoffs: tuple[int, ...] = (16, 24, 32, 48, 64, 96)
    seed: int = 0


# the shape the test suite and the notebook's test mode run with the tiny model: 1 step on a few problems
SMOKE = RealModelSettings(num_train=32, num_heldout=6, rl_steps=1, eval_k=1, max_tokens=8, cutoffs=(4,))
SMOKE_GRPO = ["--use_vllm", "false", "--bf16", "false", "--max_completion_length", "8", "--verifier_num_workers", "0"]


def recipe_value(key: str) -> str:
    """A setting of `recipes/smollm2/grpo.yaml` (the prompt template the evaluation must share)."""
    import yaml

    return yaml.safe_load(RECIPE.read_text())[key]


def gpu_overrides() -> list[str]:
    """The recipe's CPU settings switched off where a GPU runs the experiment (bf16 only where the GPU has it: a
    T4 trains in float32, which a 135M model fits)."""
    import torch

    if not torch.cuda.is_available():
        return []
    bf16 = str(torch.cuda.is_bf16_supported()).lower()
    return ["--use_cpu", "false", "--bf16", bf16, "--vllm_gpu_memory_utilization", "0.3"]


def run_module(module: str, args: list[str]) -> None:
    """`python -m module args...` in a process of its own (its engine's memory is freed when it ends)."""
    command = [sys.executable, "-m", module, *args]
    print("$ " + " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})


def prepare_model(out: Path, model_dir: str | None) -> Path:
    if model_dir:
        return Path(model_dir)
    from ..models import build_gguf_model

    return build_gguf_model(out / "model")


def prepare_data(out: Path, s: RealModelSettings) -> Path:
    from ..generation import write_jsonl
    from .word_problems import splits

    folder = out / "data"
    if not (folder / "heldout.jsonl").exists():
        train, heldout = splits(s.num_train, s.num_heldout, seed=0)  # the same problems for every seed
        folder.mkdir(parents=True, exist_ok=True)
        write_jsonl(folder / "train.jsonl", train)
        write_jsonl(folder / "heldout.jsonl", heldout)
    return folder


def run_rl(out: Path, s: RealModelSettings, model: Path, data: Path, alpha: float, extra: list[str]) -> Path:
    target = out / f"rl-alpha{alpha:g}"
    if not (target / "trainer_state.json").exists():
        run_module("efficient_reasoning.grpo", [
            "--config", str(RECIPE), "--model_name_or_path", str(model), "--dataset_name", str(data / "train.jsonl"),
            "--output_dir", str(target), "--length_penalty_alpha", str(alpha), "--max_steps", str(s.rl_steps),
            "--seed", str(s.seed), *gpu_overrides(), *extra,
        ])  # fmt: skip
    return target


def evaluate_model(out: Path, s: RealModelSettings, label: str, model: Path, data: Path, backend: str) -> Path:
    folder = out / "eval" / label
    if not (folder / BENCHMARK / "metrics.json").exists():
        engine = ["--vllm_max_model_length", "512"] if backend == "vllm" else ["--batch_size", "64"]
        if backend == "vllm" and not gpu_overrides():
            engine += ["--vllm_gpu_memory_utilization", "0.1"]  # on a CPU: the share of its memory for the KV cache
        run_module("efficient_reasoning.evaluate", [
            "--model_name_or_path", str(model), "--backend", backend, "--benchmarks", BENCHMARK,
            "--data_file", f"{BENCHMARK}={data / 'heldout.jsonl'}",
            "--prompt_template", recipe_value("prompt_template"),
            "--num_generations", str(s.eval_k), "--temperature", str(s.temperature),
            "--max_completion_length", str(s.max_tokens), "--cutoffs", ",".join(map(str, s.cutoffs)),
            "--seed", str(s.seed), "--output_dir", str(folder), *engine,
        ])  # fmt: skip
    return folder / BENCHMARK


def samples(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


def results_of(rows: list[dict], s: RealModelSettings) -> dict:
    """Pass rate and tokens of scored samples, overall and per level, and the same at every cutoff of the
    generation-cutoff baseline."""
    result = {"all": summarize(rows, seed=s.seed), "by_level": by_level(rows), "cutoffs": {}}
    for cutoff in s.cutoffs:
        cut = at_cutoff(rows, cutoff)
        result["cutoffs"][str(cutoff)] = {"all": summarize(cut, seed=s.seed), "by_level": by_level(cut)}
    return result


def curve(result: dict, level: str | None = None) -> list[tuple[float, float]]:
    """(tokens, pass rate) of a model cut at each cutoff and uncut, by tokens: the generation-cutoff baseline."""

    def point(m: dict) -> tuple[float, float]:
        m = m["all"] if level is None else m["by_level"][level]
        return (m["avg_tokens"], m["pass_rate"])

    return sorted([point(c) for c in result["cutoffs"].values()] + [point(result)])


def at_tokens(points: list[tuple[float, float]], tokens: float) -> float:
    """The baseline's pass rate at `tokens`, linearly between its points (its end values beyond them)."""
    if tokens <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if tokens <= x1:
            return y0 + (y1 - y0) * (tokens - x0) / (x1 - x0) if x1 > x0 else max(y0, y1)
    return points[-1][1]


def measures(results: dict[str, dict], s: RealModelSettings) -> dict[str, float]:
    """What the checks test, for the strongest alpha against alpha = 0: the pass rates and tokens of the start,
    alpha = 0 and alpha > 0, alpha > 0's tokens as a share of alpha = 0's, its pass-rate change, and the pass rate
    of alpha = 0 cut to alpha > 0's tokens (the generation-cutoff baseline at equal tokens)."""
    start, zero = results["start"]["all"], results[f"alpha={min(s.alphas):g}"]
    top = results[f"alpha={max(s.alphas):g}"]
    return {
        "start_pass": start["pass_rate"], "start_tokens": start["avg_tokens"],
        "zero_pass": zero["all"]["pass_rate"], "zero_tokens": zero["all"]["avg_tokens"],
        "alpha_pass": top["all"]["pass_rate"], "alpha_tokens": top["all"]["avg_tokens"],
        "token_ratio": top["all"]["avg_tokens"] / zero["all"]["avg_tokens"],
        "pass_change": top["all"]["pass_rate"] - zero["all"]["pass_rate"],
        "cutoff_pass": at_tokens(curve(zero), top["all"]["avg_tokens"]),
    }  # fmt: skip


def check(results: dict[str, dict], s: RealModelSettings) -> list[tuple[str, bool]]:
    """The experiment's claims as (statement, holds) pairs: RL at alpha = 0 raises the pass rate over the start; the
    strongest alpha keeps alpha = 0's pass rate within `MAX_PASS_DROP` with at most `MAX_TOKEN_RATIO` of its tokens,
    and beats the generation-cutoff baseline (alpha = 0 cut to the same tokens)."""
    m = measures(results, s)
    top = f"alpha={max(s.alphas):g}"
    return [
        (f"RL at alpha=0 raises the pass rate over the start: {m['start_pass']:.3f} -> {m['zero_pass']:.3f}",
         m["zero_pass"] > m["start_pass"]),
        (f"{top} keeps alpha=0's pass rate within {MAX_PASS_DROP * 100:.0f} points: {m['zero_pass']:.3f} -> "
         f"{m['alpha_pass']:.3f}", m["pass_change"] >= -MAX_PASS_DROP),
        (f"{top} uses {m['token_ratio']:.0%} of alpha=0's tokens ({m['alpha_tokens']:.1f} vs {m['zero_tokens']:.1f}; "
         f"at most {MAX_TOKEN_RATIO:.0%})", m["token_ratio"] <= MAX_TOKEN_RATIO),
        (f"{top} beats the cutoff baseline at equal tokens: {m['alpha_pass']:.3f} vs alpha=0 cut to "
         f"{m['alpha_tokens']:.1f} tokens, {m['cutoff_pass']:.3f}", m["alpha_pass"] > m["cutoff_pass"]),
    ]  # fmt: skip


def table(results: dict[str, dict], s: RealModelSettings) -> str:
    levels = sorted(results["start"]["by_level"], key=int)
    head = "| model | all: pass / tokens | " + " | ".join(f"level {lv}: pass / tokens" for lv in levels) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(levels)]
    for label, r in results.items():
        cells = [f"{r['all']['pass_rate']:.3f} / {r['all']['avg_tokens']:.1f}"]
        cells += [f"{r['by_level'][lv]['pass_rate']:.3f} / {r['by_level'][lv]['avg_tokens']:.1f}" for lv in levels]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    zero, top = results[f"alpha={min(s.alphas):g}"], results[f"alpha={max(s.alphas):g}"]
    cells = []
    for level in (None, *levels):
        tokens = (top["all"] if level is None else top["by_level"][level])["avg_tokens"]
        cells.append(f"{at_tokens(curve(zero, level), tokens):.3f} / {tokens:.1f}")
    lines.append(f"| alpha={min(s.alphas):g} cut to alpha={max(s.alphas):g}'s tokens | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(results: dict[str, dict], s: RealModelSettings, path: Path) -> Path:
    """Pass rate against tokens, overall and per level: a marker per model, the cutoff baseline of the start and of
    alpha = 0 as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = [None, *sorted(results["start"]["by_level"], key=int)]
    fig, axes = plt.subplots(1, len(levels), figsize=(3.4 * len(levels), 3.8), sharey=True)
    markers = "osD^vP"
    for ax, level in zip(axes, levels):
        for i, (label, r) in enumerate(results.items()):
            m = r["all"] if level is None else r["by_level"][level]
            ax.scatter(m["avg_tokens"], m["pass_rate"], s=60, color=f"C{i}", marker=markers[i % len(markers)],
                       label=label, zorder=3)  # fmt: skip
            if label in ("start", f"alpha={min(s.alphas):g}"):
                xs, ys = zip(*curve(r, level))
                ax.plot(xs, ys, color=f"C{i}", lw=1, ls="--", alpha=0.7, label=f"{label}, cut at {min(s.cutoffs)}-"
                        f"{max(s.cutoffs)} tokens")  # fmt: skip
        ax.set_title("all levels" if level is None else f"level {level}: {level} step{'s' if level != '1' else ''}",
                     fontsize=10)  # fmt: skip
        ax.set_xlabel("average tokens")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("pass rate")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle(f"{MODEL} on held-out word problems: pass rate against tokens (seed {s.seed})", fontsize=11)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_seeds(out: Path, seeds: list[int], path: Path | None = None) -> Path:
    """Every seed's models in one picture, overall and per level: a colour per model, a marker per seed, and each
    seed's alpha = 0 cut at the cutoffs as a faint line (`OUTPUT_DIR/accuracy_vs_tokens_seeds.png`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summaries = {seed: json.loads((out / f"seed-{seed}" / "summary.json").read_text()) for seed in seeds}
    first = next(iter(summaries.values()))
    labels, levels = list(first["results"]), [None, *sorted(first["results"]["start"]["by_level"], key=int)]
    zero = f"alpha={min(first['settings']['alphas']):g}"
    fig, axes = plt.subplots(1, len(levels), figsize=(3.4 * len(levels), 3.9), sharey=True)
    markers = "osD^vP"
    for ax, level in zip(axes, levels):
        for j, summary in enumerate(summaries.values()):
            for i, label in enumerate(labels):
                r = summary["results"][label]
                m = r["all"] if level is None else r["by_level"][level]
                ax.scatter(m["avg_tokens"], m["pass_rate"], s=45, color=f"C{i}", marker=markers[j % len(markers)],
                           label=label if j == 0 else None, zorder=3)  # fmt: skip
            xs, ys = zip(*curve(summary["results"][zero], level))
            ax.plot(xs, ys, color=f"C{labels.index(zero)}", lw=0.8, ls="--", alpha=0.5,
                    label=f"{zero} cut at fewer tokens" if j == 0 else None)  # fmt: skip
        ax.set_title("all levels" if level is None else f"level {level}", fontsize=10)
        ax.set_xlabel("average tokens")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("pass rate")
    handles, names = axes[0].get_legend_handles_labels()
    handles += [plt.Line2D([], [], ls="", marker=markers[j % len(markers)], color="0.3") for j in range(len(seeds))]
    names += [f"seed {seed}" for seed in seeds]
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8, frameon=False)
    fig.suptitle(f"{MODEL} on held-out word problems, seeds {', '.join(map(str, seeds))}", fontsize=11)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    path = path or out / "accuracy_vs_tokens_seeds.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def report(out: Path, results: dict[str, dict], s: RealModelSettings) -> list[tuple[str, bool]]:
    text = table(results, s)
    (out / "table.md").write_text(text)
    plot(results, s, out / "accuracy_vs_tokens.png")
    checks = check(results, s)
    summary = {"settings": asdict(s), "measures": measures(results, s), "results": results,
               "checks": [{"claim": c, "holds": ok} for c, ok in checks]}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print("\n" + text)
    for claim, ok in checks:
        print(f"[{'ok' if ok else 'FAILED'}] {claim}")
    print(f"\nwritten to {out}: table.md, accuracy_vs_tokens.png, training_dynamics.png, summary.json")
    return checks


def default_backend() -> str:
    import importlib.util

    return "vllm" if importlib.util.find_spec("vllm") is not None else "transformers"


def run(out: Path, s: RealModelSettings, model_dir: str | None = None, backend: str | None = None,
        extra: list[str] = ()) -> list[tuple[str, bool]]:  # fmt: skip
    """One seed of the experiment in `out` (`extra`: more `grpo` options, e.g. `--use_vllm false`)."""
    from ..dynamics import load_run, plot_dynamics
    from .run import StageTimer

    out.mkdir(parents=True, exist_ok=True)
    backend = backend or default_backend()
    timed = StageTimer()
    model = timed("model", prepare_model, out.parent if model_dir is None and out.name.startswith("seed-") else out,
                  model_dir)  # fmt: skip
    data = timed("data", prepare_data, out, s)
    runs = {f"alpha={a:g}": timed(f"RL alpha={a:g}", run_rl, out, s, model, data, a, list(extra)) for a in s.alphas}
    folders = {"start": timed("evaluate start", evaluate_model, out, s, "start", model, data, backend)}
    for label, path in runs.items():
        folders[label] = timed(f"evaluate {label}", evaluate_model, out, s, label, path, data, backend)
    results = {label: results_of(samples(folder), s) for label, folder in folders.items()}
    plot_dynamics([load_run(path) for path in runs.values()], out / "training_dynamics.png")
    checks = timed("report", report, out, results, s)
    print(timed.summary())
    (out / "stage_times.json").write_text(json.dumps(timed.times, indent=2))
    return checks
