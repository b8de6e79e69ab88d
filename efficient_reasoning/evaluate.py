"""Evaluate a model as in the paper (Section 5.1): average pass rate over k samples and average generated tokens.

    python -m efficient_reasoning.evaluate --model deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B \\
        --output_dir results/distill-1.5b
    python -m efficient_reasoning.evaluate --model data/tiny/model --backend transformers \\
        --data_dir ../shared/data/eval --benchmarks math500 --k 2 --limit 4 --max_tokens 64 --output_dir results/tiny

Per benchmark, `OUTPUT_DIR/BENCHMARK/samples.jsonl` gets one row per (problem, sample) as each batch is scored (a
rerun, also after Ctrl-C, generates only what is missing) and `metrics.json` the metrics, with the generation-cutoff
baseline derived from the same samples. `OUTPUT_DIR/run.json` records the settings; a rerun with other settings is
refused (a benchmark's own `k` blocks only that benchmark).
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from .data import load_any, require_columns
from .generation import (
    HelpFormatter,
    JsonlLog,
    SamplingSettings,
    add_sampling_args,
    check_run_config,
    generator_from_args,
    record_run_config,
    render_prompts,
    run_command,
    sample_and_score,
    sampling_from_args,
)
from .metrics import PAPER_CUTOFFS, by_level, cutoff_curve, summarize
from .utils import setup_logging
from .verifier import Verifier

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Benchmark:
    name: str
    hub_id: str
    hub_config: str | None
    split: str
    local_file: str  # file name inside --data_dir
    question_column: str
    answer_column: str
    k: int
    id_column: str | None = None
    level_column: str | None = None
    answer_marker: str | None = None  # the gold answer is the text after it (GSM8K: "#### 18")

    def gold(self, raw) -> str | None:
        if raw is None:
            return None
        raw = str(raw)
        if self.answer_marker is None:
            return raw
        if self.answer_marker not in raw:
            return None
        return raw.rsplit(self.answer_marker, 1)[1].strip().replace(",", "")


BENCHMARKS = {
    b.name: b
    for b in (
        Benchmark("gsm8k", "openai/gsm8k", "main", "test", "gsm8k_test.jsonl", "question", "answer", k=1,
                  answer_marker="####"),
        Benchmark(
            "math500", "HuggingFaceH4/MATH-500", None, "test", "math500.jsonl", "problem", "answer", k=3,
            id_column="unique_id", level_column="level",
        ),
        Benchmark("aime24", "HuggingFaceH4/aime_2024", None, "train", "aime24.jsonl", "problem", "answer", k=10,
                  id_column="id"),
    )
}  # fmt: skip


def load_problems(bench: Benchmark, path: str | None = None, limit: int | None = None) -> list[dict]:
    """`problem_id`, `question`, `answer` (and `level`) per problem; bad rows fail with their line numbers."""
    source = path or bench.hub_id
    dataset = load_any(path, split="train") if path else load_any(bench.hub_id, bench.hub_config, bench.split)
    require_columns(dataset, [bench.question_column, bench.answer_column], f"{source} ({bench.name})")
    problems, errors = [], []
    for index, row in enumerate(dataset):
        where = f"{source}:{index + 1}" if path else f"{source} row {index}"
        question, answer = row[bench.question_column], bench.gold(row[bench.answer_column])
        if question is None or not str(question).strip():
            errors.append(f"{where}: empty {bench.question_column!r}")
        elif answer is None or not answer.strip():
            errors.append(f"{where}: missing answer in {bench.answer_column!r}")
        else:
            problems.append(
                {
                    "problem_id": str(row[bench.id_column]) if bench.id_column else str(index),
                    "question": str(question),
                    "answer": answer,
                    "level": row.get(bench.level_column) if bench.level_column else None,
                }
            )
    if errors:
        raise ValueError(f"{len(errors)} bad row(s) in {bench.name}:\n" + "\n".join(errors[:20]))
    if not problems:
        raise ValueError(f"{source}: no problems for {bench.name}")
    return problems[:limit] if limit else problems


def evaluate_benchmark(
    bench: Benchmark,
    problems: list[dict],
    generator,
    verifier: Verifier,
    out_dir: Path,
    k: int,
    settings: SamplingSettings,
    cutoffs: tuple[int, ...] = PAPER_CUTOFFS,
) -> dict:
    log = JsonlLog(out_dir / bench.name / "samples.jsonl")
    sample_and_score(problems, generator, verifier, log, k, settings, desc=bench.name)
    ids = {p["problem_id"] for p in problems}
    samples = [r for r in log.rows if r["problem_id"] in ids and r["sample_index"] < k]
    metrics = summarize(samples, seed=settings.seed)
    metrics["cutoffs"] = cutoff_curve(samples, settings.max_tokens, cutoffs)
    if bench.level_column:
        metrics["by_level"] = by_level(samples)
    (out_dir / bench.name / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def parse_k(value: str | None, names: list[str]) -> dict[str, int]:
    ks = {name: BENCHMARKS[name].k for name in names}
    if not value:
        return ks
    if "=" not in value:
        return {name: int(value) for name in names}
    for item in value.split(","):
        name, _, k = item.partition("=")
        if name not in ks:
            raise ValueError(f"--k names {name!r}, which is not among the benchmarks {names}")
        ks[name] = int(k)
    return ks


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    add_sampling_args(p)
    p.add_argument("--output_dir", required=True)
    p.add_argument("--benchmarks", default="gsm8k,math500,aime24", help=f"comma-separated of {sorted(BENCHMARKS)}")
    p.add_argument(
        "--k",
        default=None,
        help="samples per problem: '2' for all, or 'math500=3,aime24=10' (unset: gsm8k 1, math500 3, aime24 10)",
    )
    p.add_argument("--data_dir", default=None, help=f"local files {[b.local_file for b in BENCHMARKS.values()]}")
    p.add_argument("--data_file", action="append", default=[], metavar="NAME=PATH", help="one benchmark's local file")
    p.add_argument("--limit", type=int, default=None, help="first N problems per benchmark")
    p.add_argument(
        "--cutoffs",
        default=",".join(map(str, PAPER_CUTOFFS)),
        help="token limits of the generation-cutoff baseline, derived from these samples (those <= max_tokens)",
    )
    p.add_argument("--verifier_timeout", type=float, default=1.0)
    return p


def main(argv: list[str] | None = None) -> dict:
    setup_logging()
    args = build_parser().parse_args(argv)
    names = [n.strip() for n in args.benchmarks.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise ValueError(f"unknown benchmark(s) {unknown}; choose from {sorted(BENCHMARKS)}")
    ks = parse_k(args.k, names)
    files = {}
    if args.data_dir:
        files = {n: str(Path(args.data_dir) / BENCHMARKS[n].local_file) for n in names}
    for item in args.data_file:
        name, _, path = item.partition("=")
        files[name] = path
    # Data first: a bad file fails before a model is loaded.
    problems = {n: load_problems(BENCHMARKS[n], files.get(n), args.limit) for n in names}

    out_dir = Path(args.output_dir)
    run_config, settings = sampling_from_args(args)
    per_benchmark = {name: {"k": ks[name]} for name in names}
    # Checked before the model loads, recorded once it has loaded and the prompt renders: a run that fails at
    # start leaves the folder free for the corrected command.
    check_run_config(out_dir / "run.json", run_config, per_benchmark)
    generator = generator_from_args(args)
    render_prompts(
        generator.tokenizer, [problems[names[0]][0]["question"]], settings.template, settings.use_chat_template
    )
    record_run_config(out_dir / "run.json", run_config, per_benchmark)
    cutoffs = tuple(int(c) for c in args.cutoffs.split(",") if c.strip())
    verifier = Verifier(timeout=args.verifier_timeout)
    results = {}
    try:
        for name in names:
            results[name] = evaluate_benchmark(
                BENCHMARKS[name], problems[name], generator, verifier, out_dir, ks[name], settings, cutoffs
            )
            m = results[name]
            print(f"{name}: pass rate {m['pass_rate']:.3f}, avg tokens {m['avg_tokens']:.1f} (k={m['k']})")
    finally:
        verifier.close()
    return results


if __name__ == "__main__":
    run_command(main)
