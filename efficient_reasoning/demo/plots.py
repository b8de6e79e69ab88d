"""The demo's figures: accuracy against tokens per level, and tokens by level per model."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def levels_of(results: dict[str, dict]) -> list[str]:
    return sorted(next(iter(results.values()))["by_level"], key=int)


def plot_accuracy_vs_tokens(results: dict[str, dict], path: Path) -> Path:
    """One panel per level, one marker per model, named in a shared legend (no labels on the points to overlap);
    the shared accuracy axis spans the data, not 0-1, so the differences show."""
    plt = _pyplot()
    levels = levels_of(results)
    fig, axes = plt.subplots(1, len(levels), figsize=(3.2 * len(levels), 3.6), sharey=True)
    rates = [m["by_level"][lv]["pass_rate"] for m in results.values() for lv in levels]
    axes[0].set_ylim(min(min(rates) - 0.05, 0.9), 1.01)
    markers = "osD^vP*X"
    for ax, level in zip(axes, levels):
        for i, (label, m) in enumerate(results.items()):
            lv = m["by_level"][level]
            ax.scatter(lv["avg_tokens"], lv["pass_rate"], s=55, color=f"C{i}", marker=markers[i % len(markers)],
                       label=label, zorder=3)  # fmt: skip
        tokens = [m["by_level"][level]["avg_tokens"] for m in results.values()]
        ax.set_xlim(0, max(tokens) * 1.15)
        ax.set_title(f"level {level}: {level} turn{'s' if level != '1' else ''}", fontsize=10)
        ax.set_xlabel("average tokens")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("pass rate")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8, frameon=False)
    fig.suptitle("demo held-out split: accuracy against tokens, by level", fontsize=11)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_tokens_by_level(results: dict[str, dict], path: Path) -> Path:
    """Grouped bars: average tokens per level, one bar per model, with the share of the SFT start's tokens."""
    plt = _pyplot()
    levels = levels_of(results)
    sft = next(iter(results.values()))["by_level"]
    width = 0.8 / len(results)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, (label, m) in enumerate(results.items()):
        xs = [j + (i - (len(results) - 1) / 2) * width for j in range(len(levels))]
        ys = [m["by_level"][lv]["avg_tokens"] for lv in levels]
        ax.bar(xs, ys, width, color=f"C{i}", label=label)
        if i:
            for x, y, lv in zip(xs, ys, levels):
                ax.annotate(f"{y / sft[lv]['avg_tokens']:.0%}", (x, y), textcoords="offset points", xytext=(0, 2),
                            ha="center", fontsize=6, rotation=90)  # fmt: skip
    ax.set_xticks(range(len(levels)), [f"level {lv}" for lv in levels])
    ax.set_ylabel("average tokens (bar labels: share of the SFT start's)")
    ax.set_ylim(0, max(m["by_level"][lv]["avg_tokens"] for m in results.values() for lv in levels) * 1.2)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("demo held-out split: tokens by level per model", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
