"""Training dynamics (the paper's Figures 4, 7 and 8): a run's logged history and its checkpoints' evaluations
against the training step, one line per run labelled with its alpha and advantage estimator.

    python -m efficient_reasoning.plot --runs data/grpo-alpha0 data/grpo-alpha0.1 --output_dir plots
    python -m efficient_reasoning.plot --checkpoints results/alpha0.1-checkpoints --output_dir plots
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .cli import SettingError

METHOD_FILE = "efficient_reasoning.json"  # the method's settings, written by the trainer when training starts
HISTORY_FILE = "run_history.json"  # earlier settings of a run continued with `allow_settings_change`
# (logged key, panel, line style): the trainer's efficiency/* metrics (README, "Logged metrics")
PANELS = {
    "accuracy": [("efficiency/accuracy", "-")],
    "mean tokens (solid: all, dashed: correct)": [("efficiency/tokens_all", "-"), ("efficiency/tokens_correct", "--")],
    "truncated fraction": [("efficiency/truncated_frac", "-")],
    "reward": [("efficiency/reward", "-")],
}


@dataclass
class Run:
    label: str
    history: list[dict]  # log_history entries that hold the efficiency metrics, by step


def _step(folder: Path) -> int:
    return int(folder.name.split("-", 1)[1])


def checkpoints(run_dir: Path) -> list[Path]:
    """The `checkpoint-N` folders of a training output_dir, by step (the one lister of the package)."""
    folders = [p for p in run_dir.glob("checkpoint-*") if p.is_dir() and p.name.split("-", 1)[1].isdigit()]
    return sorted(folders, key=_step)


def is_complete(checkpoint: Path) -> bool:
    """Whether a checkpoint's save finished: the Trainer writes `trainer_state.json` last (after the weights, the
    optimizer, the scheduler and the RNG states), so a save killed midway leaves none or an unreadable one."""
    try:
        return "global_step" in json.loads((checkpoint / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False


def last_complete_checkpoint(run_dir: str | Path) -> tuple[Path | None, list[Path]]:
    """The last checkpoint of a run whose save finished, and the later ones skipped as half-written."""
    found = checkpoints(Path(run_dir))
    skipped = []
    while found and not is_complete(found[-1]):
        skipped.append(found.pop())
    return (found[-1] if found else None), skipped


def method_settings(run_dir: Path) -> dict:
    """alpha and estimator of a run: the file the trainer writes when training starts, else the model card."""
    path = run_dir / METHOD_FILE
    if path.exists():
        return json.loads(path.read_text())
    card = run_dir / "README.md"
    found = {}
    if card.exists():
        for key in ("length_penalty_alpha", "advantage_estimator"):
            match = re.search(rf"^- {key}: `([^`]+)`", card.read_text(), re.MULTILINE)
            if match:
                found[key] = float(match.group(1)) if key == "length_penalty_alpha" else match.group(1)
    return found


def run_label(settings: dict, fallback: str) -> str:
    alpha, estimator = settings.get("length_penalty_alpha"), settings.get("advantage_estimator")
    reward = settings.get("length_reward", "paper")
    if reward != "paper":  # another length reward: its name and parameters
        from .length_rewards import LENGTH_REWARDS

        fields = LENGTH_REWARDS[reward].parameters.values() if reward in LENGTH_REWARDS else ()

        def text(value) -> str:  # a number, or a list of them (Laser-D's targets)
            return "_".join(text(v) for v in value) if isinstance(value, list) else f"{value:g}"

        params = ", ".join(
            f"{f}={text(settings[f])}" for f in fields if isinstance(settings.get(f), int | float | list)
        )
        return f"{reward} ({params})" + (f", {estimator}" if estimator else "")
    if alpha is None:
        return fallback
    return f"α={alpha:g}" + (f", {estimator}" if estimator else "")


def load_run(run_dir: str | Path) -> Run:
    """The logged history of a training output_dir (its `trainer_state.json`, or its last checkpoint's while the
    run is still going)."""
    run_dir = Path(run_dir)
    candidates = [run_dir / "trainer_state.json"] + [c / "trainer_state.json" for c in reversed(checkpoints(run_dir))]
    state = next((c for c in candidates if c.exists()), None)
    if state is None:
        raise SettingError(
            f"{run_dir}: no trainer_state.json (in the folder or a checkpoint-N); is it a training run?"
        )
    history = [h for h in json.loads(state.read_text()).get("log_history", []) if "efficiency/accuracy" in h]
    if not history:
        raise SettingError(
            f"{state}: no efficiency/* metrics in log_history; was it trained with efficient_reasoning?"
        )
    settings = method_settings(run_dir)
    settings.setdefault("length_penalty_alpha", history[0].get("efficiency/alpha"))
    label = run_label(settings, run_dir.name)
    if earlier := run_history(run_dir):  # continued with other settings: the label holds from there on
        label += f" from step {earlier[-1]['until_step'] + 1} (other settings before: {HISTORY_FILE})"
    return Run(label, sorted(history, key=lambda h: h["step"]))


def run_history(run_dir: str | Path) -> list[dict]:
    """The earlier settings of the run in `run_dir` (`run_history.json`, written by `utils.record_training_run`),
    oldest first; [] for a run never continued with other settings."""
    path = Path(run_dir) / HISTORY_FILE
    return json.loads(path.read_text()) if path.exists() else []


def smooth(values: list[float], weight: float) -> list[float]:
    """Exponential moving average (`weight` of the past), started at the first value."""
    if not 0 <= weight < 1:
        raise SettingError(f"smoothing must lie in [0, 1), got {weight}")
    out, last = [], None
    for v in values:
        last = v if last is None else weight * last + (1 - weight) * v
        out.append(last)
    return out


def series(history: list[dict], key: str) -> tuple[list[int], list[float]]:
    """Steps and values where `key` was logged (tokens_correct is absent from a step with no correct answer)."""
    points = [(h["step"], float(h[key])) for h in history if h.get(key) is not None and not math.isnan(h[key])]
    return [s for s, _ in points], [v for _, v in points]


def step_axis(ax) -> None:
    """The training step on the x axis, ticked at whole steps only."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("training step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _lines(ax, x, y, color, style, label, smoothing) -> None:
    if not x:
        return
    ax.plot(x, y, color=color, ls=style, alpha=0.25, lw=0.8)
    ax.plot(x, smooth(y, smoothing), color=color, ls=style, label=label, lw=1.6)


def plot_dynamics(runs: list[Run], path: Path, smoothing: float = 0.6) -> Path:
    """Accuracy, mean tokens (all and correct), truncation and reward against the training step; raw values faint,
    smoothed on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    for ax, (title, keys) in zip(axes.flat, PANELS.items()):
        for i, run in enumerate(runs):
            for key, style in keys:
                _lines(
                    ax, *series(run.history, key), f"C{i % 10}", style, run.label if style == "-" else None, smoothing
                )
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        if title in ("accuracy", "truncated fraction"):
            ax.set_ylim(-0.03, 1.03)
    for ax in axes[1]:
        step_axis(ax)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"training dynamics (smoothing {smoothing:g}, raw values faint)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def checkpoint_results(folder: str | Path) -> tuple[str, dict[str, list[tuple[int, dict]]]]:
    """A label and `{benchmark: [(step, metrics), ...]}` from the `checkpoint-N/BENCHMARK/metrics.json` that
    `evaluate --all_checkpoints` writes. The label comes from the evaluated run's settings when it is on disk."""
    folder = Path(folder)
    found: dict[str, list[tuple[int, dict]]] = {}
    label = folder.name
    for checkpoint in checkpoints(folder):
        for metrics in sorted(checkpoint.glob("*/metrics.json")):
            found.setdefault(metrics.parent.name, []).append((_step(checkpoint), json.loads(metrics.read_text())))
        run_json = checkpoint / "run.json"
        if run_json.exists():
            model = Path(json.loads(run_json.read_text()).get("model", ""))
            label = run_label(method_settings(model.parent), label)
    if not found:
        raise SettingError(f"{folder}: no checkpoint-N/*/metrics.json; run evaluate --all_checkpoints first")
    return label, found


def plot_checkpoints(folders: list[str | Path], output_dir: Path) -> list[Path]:
    """Per benchmark, pass rate and average tokens against the step, one line per evaluated run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loaded = [checkpoint_results(f) for f in folders]
    written = []
    for benchmark in dict.fromkeys(b for _, found in loaded for b in found):
        fig, (acc, tok) = plt.subplots(1, 2, figsize=(11, 4))
        for i, (label, found) in enumerate(loaded):
            points = found.get(benchmark, [])
            steps = [s for s, _ in points]
            acc.plot(steps, [m["pass_rate"] for _, m in points], marker="o", color=f"C{i % 10}", label=label)
            tok.plot(steps, [m["avg_tokens"] for _, m in points], marker="o", color=f"C{i % 10}", label=label)
        acc.set_ylim(-0.03, 1.03)
        for ax, name in ((acc, "average pass rate"), (tok, "average generated tokens")):
            step_axis(ax)
            ax.set_ylabel(name)
            ax.grid(alpha=0.3)
        acc.legend(fontsize=8)
        fig.suptitle(f"{benchmark}: checkpoints of training", fontsize=10)
        fig.tight_layout()
        path = output_dir / f"checkpoints_{benchmark}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written
