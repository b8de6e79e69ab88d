"""Accuracy against tokens, per benchmark, from evaluation folders and the paper's Appendix E numbers.

    python -m efficient_reasoning.plot --results results/distill results/alpha0.1 --baseline results/distill \\
        --paper DeepSeek-R1-Distill-Qwen-1.5B --output_dir plots

Writes `plots/BENCHMARK.png` (one point per model, the generation-cutoff baseline as a curve, the Pareto frontier
ringed, the paper's points overlaid) and `plots/table.md` (the Appendix E table: tokens and pass rate per model).
`--field --field_model 1.5B` adds the field's published results (`reference/field.csv`), each method with its own
marker and its protocol named, and `table.md` the published points nearest in tokens to each of the models.
`--targets` folders of `evaluate --target_tokens` give `plots/targets_BENCHMARK.png`: used vs requested tokens.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from .cli import ArgumentParser, ItemList, MissingPathError, SettingError, check_output_dir, check_range, command

BENCHMARK_TITLES = {"gsm8k": "GSM8K", "math500": "MATH500", "aime24": "AIME 2024", "aime25": "AIME 2025", "amc": "AMC"}
FIELD_MODELS = {"1.5B": "DeepSeek-R1-Distill-Qwen-1.5B", "7B": "DeepSeek-R1-Distill-Qwen-7B"}


@dataclass
class Point:
    label: str
    benchmark: str
    tokens: float
    pass_rate: float
    source: str  # "ours", "paper" or "field"
    kind: str  # "model" or "cutoff"
    protocol: str = ""  # field points: the evaluation protocol (`field.csv`'s `protocol`)


def paper_rows(model: str | None = None) -> list[dict]:
    """The paper's Appendix E (model, benchmark, method, alpha, token_limit, avg_tokens, avg_pass_rate)."""
    with resources.files("efficient_reasoning").joinpath("reference/appendix_e.csv").open() as f:
        rows = list(csv.DictReader(f))
    models = sorted({r["model"] for r in rows})
    if model is not None and model not in models:
        raise SettingError(f"no paper numbers for {model!r}; available: {models}")
    return [r for r in rows if model is None or r["model"] == model]


def paper_points(model: str) -> list[Point]:
    points = []
    for r in paper_rows(model):
        if r["method"] == "Distill":
            label, kind = f"paper Distill {int(r['token_limit']) // 1000}k", "cutoff"
        elif r["method"] == "RL":
            label, kind = f"paper RL α={r['alpha']}", "model"
        else:
            label, kind = f"paper {r['method']}", "model"
        points.append(Point(label, r["benchmark"], float(r["avg_tokens"]), float(r["avg_pass_rate"]), "paper", kind))
    return points


def field_rows(model: str | None = None) -> list[dict]:
    """The field's published results (`reference/field.csv`, transcribed from the sources named in its `source`
    column): one row per (protocol, method, base_model, benchmark), `accuracy` in percent as published.

    `protocol` names the table a row comes from; each has one evaluation protocol (`samples_per_problem`,
    `temperature`, `top_p`, `top_k`, `max_tokens`; empty where the source does not say; "32K" and "16K" read as
    32,768 and 16,384), so rows compare only within a protocol. `copied` = 1: a row the table's authors copied from
    another paper. `model`: a base model's name or its size (`1.5B`, `7B`).
    """
    with resources.files("efficient_reasoning").joinpath("reference/field.csv").open() as f:
        rows = list(csv.DictReader(f))
    model = FIELD_MODELS.get(model, model)
    models = sorted({r["base_model"] for r in rows})
    if model is not None and model not in models:
        raise SettingError(f"no field numbers for {model!r}; available: {models} or {sorted(FIELD_MODELS)}")
    return [r for r in rows if model is None or r["base_model"] == model]


def protocol_description(row: dict) -> str:
    """`protocol: source; N samples, temperature T, top_p P, top_k K, up to M tokens`, the parts the source gives."""
    parts = [f"{row['samples_per_problem']} samples" if row["samples_per_problem"] else "samples not stated"]
    parts += [f"{name} {row[key]}" for name, key in (("temperature", "temperature"), ("top_p", "top_p"),
                                                   ("top_k", "top_k")) if row[key]]  # fmt: skip
    parts.append(f"up to {int(row['max_tokens']):,} tokens")
    return f"{row['protocol']}: {row['source'].split(';')[0]}; " + ", ".join(parts)


def field_points(model: str) -> list[Point]:
    """The field's results for a base model; labels `METHOD [PROTOCOL]` (`*`: copied from another paper)."""
    return [
        Point(f"{r['method']}{'*' if r['copied'] == '1' else ''} [{r['protocol']}]", r["benchmark"],
              float(r["avg_tokens"]), float(r["accuracy"]) / 100, "field", "model", r["protocol"])
        for r in field_rows(model)
    ]  # fmt: skip


def field_protocols(points: list[Point]) -> list[str]:
    """One description per protocol among `points`."""
    protocols = dict.fromkeys(p.protocol for p in points if p.source == "field")
    first = {r["protocol"]: r for r in reversed(field_rows())}
    return [protocol_description(first[name]) for name in protocols]


def what_folder(folder: Path) -> str | None:
    """The option of `plot` that takes `folder`, from what `evaluate` wrote into it: '--results' (BENCHMARK/
    metrics.json), '--checkpoints' (checkpoint-N/BENCHMARK/metrics.json), '--targets' (target_length.json) or
    '--runs' (a training output_dir), else None."""
    if any(folder.glob("*/metrics.json")):
        return "--results"
    if (folder / "target_length.json").exists():
        return "--targets"
    if any(folder.glob("checkpoint-*/*/metrics.json")):
        return "--checkpoints"
    if (folder / "trainer_state.json").exists() or any(folder.glob("checkpoint-*/trainer_state.json")):
        return "--runs"
    return None


def check_folders(folders: list[str], option: str) -> None:
    """Each folder of `option` exists and holds what `option` reads; else one line saying what to pass instead."""
    for name in folders:
        folder = Path(name)
        if not folder.is_dir():
            raise MissingPathError(f"{option}: {name!r} is not a folder")
        kind = what_folder(folder)
        if kind is None or kind == option:
            continue
        raise SettingError(f"{option}: {name!r} holds no {READS[option]} but {READS[kind]}: pass it as {kind} {name}")


READS = {
    "--results": "BENCHMARK/metrics.json (an evaluate folder)",
    "--checkpoints": "checkpoint-N/BENCHMARK/metrics.json (an evaluate --all_checkpoints folder)",
    "--targets": "target_length.json (an evaluate --target_tokens folder)",
    "--runs": "trainer_state.json (a training output_dir)",
}


def result_points(folder: Path, label: str, with_cutoffs: bool) -> list[Point]:
    points = []
    for metrics_file in sorted(folder.glob("*/metrics.json")):
        benchmark = metrics_file.parent.name
        m = json.loads(metrics_file.read_text())
        points.append(Point(label, benchmark, m["avg_tokens"], m["pass_rate"], "ours", "model"))
        if with_cutoffs:
            for cutoff, c in m.get("cutoffs", {}).items():
                points.append(
                    Point(f"{label} @{cutoff}", benchmark, c["avg_tokens"], c["pass_rate"], "ours", "cutoff")
                )
    if not points:
        raise SettingError(f"{folder}: no */metrics.json found; run efficient_reasoning.evaluate first")
    return points


def pareto_front(points: list[Point]) -> list[Point]:
    """Points no other point beats on both axes (fewer or equal tokens and higher or equal pass rate); a point that
    solves nothing is never on it (answering nothing at all costs no tokens)."""
    front = [
        p
        for p in points
        if p.pass_rate > 0
        and not any(
            q.tokens <= p.tokens and q.pass_rate >= p.pass_rate and (q.tokens, q.pass_rate) != (p.tokens, p.pass_rate)
            for q in points
        )
    ]
    return sorted(front, key=lambda p: p.tokens)


MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*", "<", ">", "h", "p", "d", "8", "H")
FIELD_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*", "<", ">", "p", "d", "1", "2", "3", "4", "+", "|", "h", "8")
PROTOCOL_COLORS = ("C1", "C2", "C4", "C5", "C6", "C8")


LABEL_OFFSETS = ((4, 4), (4, -11), (4, 15), (4, -22), (4, 26), (-40, 4), (-40, -11), (4, -33))


def annotate_apart(fig, ax, points: list[Point]) -> list:
    """Name each point beside it, at the first of `LABEL_OFFSETS` where its label overlaps no label placed before
    (points close together, such as the paper's alphas, would otherwise print over each other)."""
    renderer = fig.canvas.get_renderer()
    placed, texts = [], []
    for p in sorted(points, key=lambda p: (p.tokens, -p.pass_rate)):
        for offset in LABEL_OFFSETS:
            text = ax.annotate(p.label, (p.tokens, p.pass_rate), textcoords="offset points", xytext=offset, fontsize=7)
            box = text.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed) or offset == LABEL_OFFSETS[-1]:
                break
            text.remove()
        placed.append(box)
        texts.append(text)
    return texts


def plot_benchmark(
    points: list[Point], benchmark: str, path: Path, ylim: tuple[float, float] | None = None, legend: bool = False
):
    """Pass rate against tokens, with the cutoff curves and the Pareto frontier of our and the paper's points.
    `legend`: name the models in the legend, each with its own marker, instead of beside their points (for points
    that crowd together). The field's points are named beside them, a marker per method, with a legend entry per
    protocol (its colour) and the protocols spelled out below the axes. Returns the (closed) figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    field = [p for p in points if p.source == "field"]
    protocols = field_protocols(field)
    fig, ax = plt.subplots(figsize=(11, 5 + 0.25 * len(protocols)) if field else (7, 5))
    named: list[Point] = []  # models named beside their points
    for source, style in (("paper", {"color": "0.55", "ls": "--"}), ("ours", {"color": "C0", "ls": "-"})):
        curve = sorted((p for p in points if p.source == source and p.kind == "cutoff"), key=lambda p: p.tokens)
        if curve:
            name = "generation cutoff" + (" (paper)" if source == "paper" else "")
            ax.plot([p.tokens for p in curve], [p.pass_rate for p in curve], marker=".", label=name, **style)
        models = [p for p in points if p.source == source and p.kind == "model"]
        for i, p in enumerate(models):
            color = style["color"] if source == "paper" else f"C{(i + 1) % 10}"
            marker = "x" if source == "paper" else (MARKERS[i % len(MARKERS)] if legend else "o")
            ax.scatter(p.tokens, p.pass_rate, marker=marker, color=color, zorder=3, label=p.label if legend else None)
        if not legend:
            named += models
    protocol_ids = dict.fromkeys(p.protocol for p in field)
    colors = {name: PROTOCOL_COLORS[i % len(PROTOCOL_COLORS)] for i, name in enumerate(protocol_ids)}
    methods = list(dict.fromkeys(p.label.rsplit(" [", 1)[0] for p in field))  # one marker per method, any protocol
    for p in field:
        marker = FIELD_MARKERS[methods.index(p.label.rsplit(" [", 1)[0]) % len(FIELD_MARKERS)]
        ax.scatter(p.tokens, p.pass_rate, marker=marker, color=colors[p.protocol], zorder=3, label=p.label)
    front = pareto_front([p for p in points if p.source != "field"])  # the field's protocols differ from ours
    if front:
        ax.scatter(
            [p.tokens for p in front], [p.pass_rate for p in front], s=160, facecolors="none", edgecolors="C3",
            label="Pareto frontier", zorder=4,
        )  # fmt: skip
        ax.step([p.tokens for p in front], [p.pass_rate for p in front], where="post", color="C3", lw=0.8, alpha=0.6)
    ax.set_xlabel("average generated tokens")
    ax.set_ylabel("average pass rate")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_title(BENCHMARK_TITLES.get(benchmark, benchmark))
    ax.grid(alpha=0.3)
    if field:  # each method named beside its points; the legend gives a colour per protocol, not a row per point
        from matplotlib.patches import Patch

        handles = [h for h, label in zip(*ax.get_legend_handles_labels()) if label not in {p.label for p in field}]
        handles += [Patch(color=colors[name], label=f"[{name}]") for name in protocol_ids]
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="protocol",
                  title_fontsize=7)  # fmt: skip
        named += [replace(p, label=p.label.rsplit(" [", 1)[0]) for p in field]
        caption = "Protocols differ between sources; compare points only within one protocol.\n" + "\n".join(protocols)
        fig.text(0.01, 0.01, caption, fontsize=7, va="bottom")
        fig.tight_layout(rect=(0, 0.03 + 0.035 * len(protocols), 1, 1))
    else:
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
    annotate_apart(fig, ax, named)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return fig


def markdown_table(points: list[Point]) -> str:
    """One row per model or cutoff, `tokens / pass rate` per benchmark, like the paper's Appendix E."""
    benchmarks = [b for b in BENCHMARK_TITLES if any(p.benchmark == b for p in points)]
    benchmarks += sorted({p.benchmark for p in points} - set(benchmarks))
    labels = list(dict.fromkeys(p.label for p in points))
    cells = {(p.label, p.benchmark): p for p in points}
    header = "| model | " + " | ".join(f"{BENCHMARK_TITLES.get(b, b)} tokens | pass rate" for b in benchmarks) + " |"
    lines = [header, "|---|" + "---:|---:|" * len(benchmarks)]
    for label in labels:
        row = []
        for b in benchmarks:
            p = cells.get((label, b))
            row += [f"{p.tokens:.1f}", f"{p.pass_rate:.3f}"] if p else ["", ""]
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    if any(p.source == "field" for p in points):
        lines += ["", "Field points: accuracy as published / 100; `*` copied from another paper. Protocols differ:"]
        lines += [f"- {d}" for d in field_protocols(points)]
        lines += nearest_published(points)
    return "\n".join(lines) + "\n"


def nearest_published(points: list[Point]) -> list[str]:
    """Per model of ours and benchmark, the field's point nearest in tokens (by ratio) under each protocol."""
    ours = [p for p in points if p.source == "ours" and p.kind == "model"]
    field = [p for p in points if p.source == "field"]
    lines = []
    for p in ours:
        for protocol in dict.fromkeys(q.protocol for q in field if q.benchmark == p.benchmark):
            same = [q for q in field if q.benchmark == p.benchmark and q.protocol == protocol]
            q = min(same, key=lambda q: abs(math.log(q.tokens / max(p.tokens, 1e-9))))
            lines.append(f"| {p.label} | {BENCHMARK_TITLES.get(p.benchmark, p.benchmark)} | {p.tokens:.1f} | "
                         f"{p.pass_rate:.3f} | {q.label} | {q.tokens:.1f} | {q.pass_rate:.3f} |")  # fmt: skip
    if not lines:
        return []
    header = "| model | benchmark | tokens | pass rate | nearest published [protocol] | tokens | accuracy |"
    return ["", "Nearest published points (in tokens, per protocol):", "", header, "|---|---|---:|---:|---|---:|---:|",
            *lines]  # fmt: skip


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--results", nargs="*", default=[], help="evaluation output folders, one per model")
    parser.add_argument("--labels", nargs="*", default=None, help="a label per results folder (default: its name)")
    parser.add_argument("--baseline", default=None, help="the results folder whose cutoffs draw the cutoff curve")
    paper_models = sorted({r["model"] for r in paper_rows()})
    parser.add_argument(
        "--paper", default=None, choices=paper_models, metavar="MODEL",
        help=f"overlay the paper's numbers for this model: {', '.join(paper_models)}",
    )  # fmt: skip
    parser.add_argument("--field", action="store_true", help="overlay the field's published results (field.csv)")
    parser.add_argument(
        "--field_model", default=None,
        help="the base model of the field's results: a name or 1.5B / 7B (default: the --paper model)",
    )  # fmt: skip
    parser.add_argument("--benchmarks", action=ItemList, default=None,
                        help="plot only these benchmarks, separated by commas or spaces (default: all)")  # fmt: skip
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--runs", nargs="*", default=[], help="training output_dirs: dynamics.png of their logs")
    parser.add_argument(
        "--checkpoints", nargs="*", default=[], help="`evaluate --all_checkpoints` folders: checkpoints_BENCHMARK.png"
    )
    parser.add_argument(
        "--targets", nargs="*", default=[], help="`evaluate --target_tokens` folders: targets_BENCHMARK.png"
    )
    parser.add_argument("--smoothing", type=float, default=0.6, help="EMA weight of the training-dynamics lines")
    return parser


def main(argv: list[str] | None = None) -> list[Path]:
    parser = build_parser()
    args = parser.parse_args(argv)

    if not (args.results or args.paper or args.field or args.runs or args.checkpoints or args.targets):
        parser.error("give --results folders, --paper MODEL, --field, --runs, --checkpoints, --targets, or several")
    if args.field_model and not args.field:
        parser.error("--field_model needs --field")
    field_model = args.field_model or args.paper
    if args.field and field_model is None:
        parser.error(f"--field needs --field_model ({' or '.join(FIELD_MODELS)}) or --paper MODEL")
    check_range("--smoothing", args.smoothing, 0, 1)
    if args.smoothing == 1:
        raise SettingError(f"--smoothing must lie in [0, 1), got {args.smoothing}")
    for option in ("--results", "--runs", "--checkpoints", "--targets"):
        check_folders(getattr(args, option[2:]), option)
    if args.baseline is not None and not Path(args.baseline).is_dir():
        raise MissingPathError(f"--baseline: {args.baseline!r} is not a folder")
    check_output_dir(args.output_dir)
    training = plot_training(args) if args.runs or args.checkpoints else []
    training += plot_targets(args.targets, Path(args.output_dir)) if args.targets else []
    if not args.results and not args.paper and not args.field:
        return training
    labels = args.labels or [Path(r).name for r in args.results]
    if len(labels) != len(args.results):
        parser.error(f"{len(labels)} labels for {len(args.results)} results folders")
    baseline = Path(args.baseline).resolve() if args.baseline else None
    points: list[Point] = []
    for folder, label in zip(args.results, labels):
        points += result_points(Path(folder), label, with_cutoffs=Path(folder).resolve() == baseline)
    if args.paper:
        points += paper_points(args.paper)
    if args.field:
        try:
            points += field_points(field_model)
        except ValueError as error:
            parser.error(str(error))
    if args.benchmarks is not None:
        args.benchmarks = args.benchmarks.split(",")
        points = [p for p in points if p.benchmark in args.benchmarks]
        if not points:
            parser.error(f"no points for the benchmarks {args.benchmarks}")

    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for benchmark in dict.fromkeys(p.benchmark for p in points):
        path = out / f"{benchmark}.png"
        plot_benchmark([p for p in points if p.benchmark == benchmark], benchmark, path)
        written.append(path)
    table = out / "table.md"
    table.write_text(markdown_table(points))
    written.append(table)
    for path in written:
        print(f"wrote {path}")
    return training + written


def plot_targets(folders: list[str], out: Path) -> list[Path]:
    """Used against requested tokens per benchmark, one line per `evaluate --target_tokens` folder (its
    `target_length.json`), with the line of exact control; error bars are the mean absolute error."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = {}
    for folder in folders:
        path = Path(folder) / "target_length.json"
        if not path.exists():
            raise SettingError(f"{folder}: no target_length.json; run efficient_reasoning.evaluate --target_tokens")
        runs[Path(folder).name] = json.loads(path.read_text())
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for benchmark in dict.fromkeys(b for summary in runs.values() for b in summary):
        fig, ax = plt.subplots(figsize=(6, 5))
        top = 0.0
        for label, summary in runs.items():
            rows = sorted(summary.get(benchmark, []), key=lambda r: r["target_tokens"])
            if not rows:
                continue
            requested = [r["target_tokens"] for r in rows]
            used = [r["mean_tokens"] for r in rows]
            ax.errorbar(requested, used, yerr=[r["mean_abs_error"] for r in rows], marker="o", capsize=3, label=label)
            top = max(top, *requested, *used)
        ax.plot([0, top], [0, top], color="0.5", ls="--", lw=0.8, label="used = requested")
        ax.set_xlabel("requested tokens (budget in the prompt)")
        ax.set_ylabel("used tokens (mean; bars: mean |error|)")
        ax.set_title(BENCHMARK_TITLES.get(benchmark, benchmark))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / f"targets_{benchmark}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
        print(f"wrote {path}")
    return written


def plot_training(args: argparse.Namespace) -> list[Path]:
    """The training-dynamics figure of `--runs` and the checkpoint curves of `--checkpoints`."""
    from .dynamics import load_run, plot_checkpoints, plot_dynamics

    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if args.runs:
        written.append(plot_dynamics([load_run(r) for r in args.runs], out / "dynamics.png", args.smoothing))
    if args.checkpoints:
        written += plot_checkpoints(args.checkpoints, out)
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    command(main)
