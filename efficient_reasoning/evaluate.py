"""Evaluate a model as in the paper (Section 5.1): average pass rate over k samples and average generated tokens.

    python -m efficient_reasoning.evaluate --model_name_or_path deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B \\
        --output_dir results/distill-1.5b
    python -m efficient_reasoning.evaluate --model_name_or_path data/tiny/model --backend transformers \\
        --data_dir data/eval --benchmarks math500 --num_generations 2 --limit 4 --max_completion_length 64 \\
        --output_dir results/tiny

With `--target_tokens 256 512 1024`, each budget is stated in the prompt (L1's "Think for N tokens.") and evaluated
into `OUTPUT_DIR/target-N`; `OUTPUT_DIR/target_length.json` reports accuracy and used vs requested tokens.

Per benchmark, `OUTPUT_DIR/BENCHMARK/samples.jsonl` gets one row per (problem, sample) as each batch is scored (a
rerun, also after Ctrl-C, generates only what is missing) and `metrics.json` the metrics, with the generation-cutoff
baseline derived from the same samples. `OUTPUT_DIR/run.json` records the settings; a rerun with other settings is
refused (a benchmark's own `k` blocks only that benchmark).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from .cli import (
    ArgumentParser,
    ItemList,
    MissingPathError,
    SettingError,
    check_output_dir,
    check_range,
    command,
    read_text,
)
from .data import load_any, require_columns
from .generation import (
    JsonlLog,
    SamplingSettings,
    add_sampling_args,
    check_run_config,
    check_sampling_args,
    generator_from_args,
    prompt_template,
    record_run_config,
    render_prompts,
    sample_and_score,
    sampling_from_args,
    truncation_warning,
)
from .metrics import PAPER_CUTOFFS, by_level, cutoff_curve, summarize
from .target_length import TARGET_TEMPLATE, target_errors, with_budget
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
    kind: str = "math"  # "choice": the gold is an option letter, checked with the verifier's multiple-choice mode
    choices_column: str | None = None  # options shown after the question as "(A) text" lines
    parts: tuple[tuple[str, str, int], ...] = ()  # (Hub config, local file, level) of sets evaluated as one
    json_field: str | None = None  # local .json files hold their rows in this key (BBH: "examples")
    local_columns: tuple[tuple[str, str], ...] = ()  # (column, dotted path) where the local file nests a column
    optional_columns: bool = False  # the id and level columns are read where the file has them (--data_file)

    def gold(self, raw) -> str | None:
        if raw is None:
            return None
        raw = str(raw)
        if self.kind == "choice":  # "B" or "(B)"
            letter = raw.strip().strip("()").strip()
            return letter if re.fullmatch(r"[A-J]", letter) else None
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
        # Out of domain (the paper's Section 5): multiple choice, the answer is an option letter.
        Benchmark("commonsenseqa", "tau/commonsense_qa", None, "validation", "commonsenseqa_dev_rand_split.jsonl",
                  "question", "answerKey", k=1, id_column="id", kind="choice", choices_column="choices",
                  local_columns=(("question", "question.stem"), ("choices", "question.choices"))),
        Benchmark("logical_deduction", "lukaemon/bbh", None, "test", "", "input", "target", k=2, kind="choice",
                  json_field="examples",
                  parts=tuple((f"logical_deduction_{n}_objects", f"bbh_logical_deduction_{n}_objects.json", size)
                              for n, size in (("three", 3), ("five", 5), ("seven", 7)))),
    )
}  # fmt: skip
CHOICE_PROMPT = (
    "Please reason step by step, and put the letter of your final answer within \\boxed{}. Question: {question}"
)


def local_files() -> list[str]:
    """The file names `--data_dir` is searched for, per benchmark (a benchmark of parts has one per part)."""
    return [f for b in BENCHMARKS.values() for f in ([p[1] for p in b.parts] if b.parts else [b.local_file])]


def format_choices(question: str, choices) -> str:
    """The question with its options as lettered lines, as BIG-Bench Hard writes them ("Options:\\n(A) ...").

    `choices` is `{"label": [...], "text": [...]}` (Hub) or a list of `{"label", "text"}` (the CommonsenseQA file)."""
    if isinstance(choices, dict):
        pairs = list(zip(choices["label"], choices["text"]))
    else:
        pairs = [(c["label"], c["text"]) for c in choices]
    if not pairs:
        raise SettingError("no options")
    return question.rstrip() + "\nOptions:\n" + "\n".join(f"({label}) {text}" for label, text in pairs)


def _dig(row: dict, path: str):
    value = row
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _load_rows(bench: Benchmark, path: str | None, hub_config: str | None):
    """One set's rows as a `Dataset`, with local nested columns lifted to the Hub's flat names."""
    from datasets import Dataset

    if path is None:
        return load_any(bench.hub_id, hub_config, bench.split)
    if bench.json_field and path.endswith(".json"):
        if not Path(path).exists():
            raise MissingPathError(f"dataset file not found: {path}")
        data = json.loads(read_text(path))
        if not isinstance(data, dict) or not isinstance(data.get(bench.json_field), list):
            raise SettingError(f"{path}: expected a JSON object with a {bench.json_field!r} list of rows")
        dataset = Dataset.from_list(data[bench.json_field])
    else:
        dataset = load_any(path, split="train")
    if bench.local_columns:
        nested = {column: dotted for column, dotted in bench.local_columns if column not in dataset.column_names
                  or isinstance(dataset[0][column], dict)}  # fmt: skip
        if nested:
            require_columns(dataset, sorted({d.split(".")[0] for d in nested.values()}), f"{path} ({bench.name})")
            dataset = Dataset.from_list([{**row, **{c: _dig(row, d) for c, d in nested.items()}} for row in dataset])
    return dataset


def load_problems(bench: Benchmark, path: str | None = None, limit: int | None = None) -> list[dict]:
    """`problem_id`, `question`, `answer` (and `level`) per problem; bad rows fail with their line numbers.

    A benchmark of several `parts` (Logical Deduction's three sizes) reads each part's Hub config, or its file in the
    folder `path`, with the part's level; `limit` then applies per part."""
    if bench.parts:
        folder = Path(path) if path else None
        problems = []
        for config, local_file, level in bench.parts:
            part = _load_part(bench, str(folder / local_file) if folder else None, config, limit)
            problems += [{**p, "problem_id": f"{config}-{p['problem_id']}", "level": level} for p in part]
        return problems
    return _load_part(bench, path, bench.hub_config, limit)


def _load_part(bench: Benchmark, path: str | None, hub_config: str | None, limit: int | None) -> list[dict]:
    source = path or bench.hub_id + (f" ({hub_config})" if hub_config else "")
    dataset = _load_rows(bench, path, hub_config)
    columns = [bench.question_column, bench.answer_column] + ([bench.choices_column] if bench.choices_column else [])
    require_columns(dataset, columns, f"{source} ({bench.name})")
    if bench.optional_columns:
        present = dataset.column_names
        bench = replace(bench, id_column=bench.id_column if bench.id_column in present else None,
                        level_column=bench.level_column if bench.level_column in present else None)  # fmt: skip
    problems, errors = [], []
    for index, row in enumerate(dataset):
        where = f"{source}:{index + 1}" if path else f"{source} row {index}"
        question, answer = row[bench.question_column], bench.gold(row[bench.answer_column])
        if question is None or not str(question).strip():
            errors.append(f"{where}: empty {bench.question_column!r}")
        elif answer is None or not answer.strip():
            errors.append(f"{where}: missing answer in {bench.answer_column!r}")
        else:
            if bench.choices_column:
                try:
                    question = format_choices(str(question), row[bench.choices_column])
                except (KeyError, TypeError, ValueError):
                    errors.append(f"{where}: bad options in {bench.choices_column!r}")
                    continue
            if bench.kind == "choice" and f"({answer})" not in str(question):
                errors.append(f"{where}: answer {answer!r} is not among the options")
                continue
            problems.append(
                {
                    "problem_id": str(row[bench.id_column]) if bench.id_column else str(index),
                    "question": str(question),
                    "answer": answer,
                    "level": row.get(bench.level_column) if bench.level_column else None,
                }
            )
    if errors:
        raise SettingError(f"{len(errors)} bad row(s) in {bench.name}:\n" + "\n".join(errors[:20]))
    if not problems:
        raise SettingError(f"{source}: no problems for {bench.name}")
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
    target_tokens: int | None = None,
) -> dict:
    log = JsonlLog(out_dir / bench.name / "samples.jsonl")
    sample_and_score(problems, generator, verifier, log, k, settings, desc=bench.name, kind=bench.kind)
    ids = {p["problem_id"] for p in problems}
    samples = [r for r in log.rows if r["problem_id"] in ids and r["sample_index"] < k]
    metrics = summarize(samples, seed=settings.seed)
    metrics["cutoffs"] = cutoff_curve(samples, settings.max_tokens, cutoffs)
    if any(s.get("level") is not None for s in samples):
        metrics["by_level"] = by_level(samples)
    if target_tokens is not None:  # the prompt asked for this many tokens: how far the used ones land from it
        used = [s["num_tokens"] for s in samples]
        metrics["target"] = {"target_tokens": target_tokens, **target_errors(used, [target_tokens] * len(used))}
    (out_dir / bench.name / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def parse_k(value: str | None, names: list[str], benchmarks: dict[str, Benchmark] | None = None) -> dict[str, int]:
    ks = {name: (benchmarks or BENCHMARKS)[name].k for name in names}
    if not value:
        return ks

    def number(text: str) -> int:
        try:
            k = int(text)
        except ValueError:
            raise SettingError(f"--num_generations must be a whole number, or NAME=K pairs, got {value!r}") from None
        check_range("--num_generations", k, 1)
        return k

    if "=" not in value:
        return {name: number(value) for name in names}
    for item in value.split(","):
        name, _, k = item.partition("=")
        if name not in ks:
            raise SettingError(f"--num_generations names {name!r}, which is not among the benchmarks {names}")
        ks[name] = number(k)
    return ks


def parse_cutoffs(value: str) -> tuple[int, ...]:
    try:
        cutoffs = tuple(int(c) for c in value.split(",") if c.strip())
    except ValueError:
        raise SettingError(f"--cutoffs must be comma-separated token counts, got {value!r}") from None
    for c in cutoffs:
        check_range("--cutoffs", c, 1)
    return cutoffs


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(description=__doc__)
    add_sampling_args(p)
    p.add_argument("--output_dir", required=True)
    p.add_argument("--benchmarks", action=ItemList, default="gsm8k,math500,aime24",
                   help=f"of {sorted(BENCHMARKS)}, separated by commas or spaces")  # fmt: skip
    p.add_argument(
        "--num_generations",
        "--k",
        dest="k",
        metavar="K",
        action=ItemList,
        default=None,
        help="samples per problem (the k of the pass rate over k samples): '2' for all, or 'math500=3,aime24=10' "
        "(unset: each benchmark's own k, e.g. "
        "gsm8k 1, math500 3, aime24 10)",
    )
    p.add_argument("--data_dir", default=None, help=f"local files {local_files()}")
    p.add_argument("--data_file", action="append", default=[], metavar="NAME=PATH", help="one benchmark's local file")
    p.add_argument("--limit", type=int, default=None, help="first N problems per benchmark")
    p.add_argument(
        "--cutoffs",
        action=ItemList,
        default=",".join(map(str, PAPER_CUTOFFS)),
        help="token limits of the generation-cutoff baseline, derived from these samples (those <= "
        "max_completion_length)",
    )
    p.add_argument("--verifier_timeout", type=float, default=1.0)
    p.add_argument("--choice_prompt_template", default=CHOICE_PROMPT, help="prompt of the multiple-choice benchmarks")
    p.add_argument(
        "--all_checkpoints",
        action="store_true",
        help="--model_name_or_path is a training output_dir: evaluate each checkpoint-N into OUTPUT_DIR/checkpoint-N",
    )
    p.add_argument(
        "--target_tokens",
        action=ItemList,
        kind=int,
        default=None,
        metavar="N",
        help="target-length control: for each N, state the budget in the prompt (--target_length_template) and "
        "evaluate "
        "into OUTPUT_DIR/target-N; OUTPUT_DIR/target_length.json gets accuracy and used vs requested tokens",
    )
    p.add_argument(
        "--target_length_template", "--target_template", dest="target_template", default=TARGET_TEMPLATE,
        help="how the budget is stated ({prompt}, {target_length}), as training's option of that name",
    )  # fmt: skip
    return p


def check_args(args: argparse.Namespace, argv: list[str] | None = None) -> None:
    """Every option in range and every path usable, before anything is read, written or loaded; an option that
    would do nothing (on the command line `argv`) fails too."""
    from .cli import check_unused

    if args.all_checkpoints:  # the options as each checkpoint will get them
        first = str(list_checkpoints(args.model)[0])
        check_sampling_args(argparse.Namespace(**{**vars(args), "model": first}), argv)
    else:
        check_sampling_args(args, argv)
    check_unused(argv, ("--target_length_template", "--target_template"), bool(args.target_tokens),
                 "the budget is stated only with --target_tokens")  # fmt: skip
    check_range("--limit", args.limit, 1)
    check_range("--verifier_timeout", args.verifier_timeout, 0, low_open=True)
    parse_cutoffs(args.cutoffs)
    if args.target_tokens and any(n < 1 for n in args.target_tokens):
        raise SettingError(f"--target_tokens must be >= 1, got {args.target_tokens}")
    if args.target_tokens:
        from .target_length import check_template

        check_template(args.target_template)
    if args.data_dir is not None:
        from .cli import check_input_path

        check_input_path(args.data_dir, "--data_dir", folder=True)
    for item in args.data_file:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SettingError(f"--data_file takes NAME=PATH, got {item!r}")
    check_output_dir(args.output_dir, inputs={"--model_name_or_path": args.model})


def main(argv: list[str] | None = None, generator=None, target_tokens: int | None = None) -> dict:
    setup_logging()
    args = build_parser().parse_args(argv)
    if target_tokens is None:  # the outer call; each budget's and checkpoint's call is checked here once
        check_args(args, sys.argv[1:] if argv is None else argv)
    if args.all_checkpoints:
        return evaluate_checkpoints(args, sys.argv[1:] if argv is None else argv)
    if args.target_tokens and target_tokens is None:
        return evaluate_targets(args, sys.argv[1:] if argv is None else argv)
    names = [n.strip() for n in args.benchmarks.split(",") if n.strip()]
    benchmarks = dict(BENCHMARKS)  # this call's own: a new name below does not outlive it
    for item in args.data_file:  # a file under a new name: a math benchmark with `problem` and `answer` columns
        name = item.partition("=")[0]
        if name in names and name not in benchmarks:
            benchmarks[name] = Benchmark(
                name,
                "",
                None,
                "",
                "",
                "problem",
                "answer",
                k=1,
                id_column="id",
                level_column="level",
                optional_columns=True,
            )
    unknown = [n for n in names if n not in benchmarks]
    if unknown:
        raise SettingError(f"unknown benchmark(s) {unknown}; choose from {sorted(benchmarks)}")
    ks = parse_k(args.k, names, benchmarks)
    files = {}
    if args.data_dir:
        files = {n: str(Path(args.data_dir) / benchmarks[n].local_file) for n in names}
    for item in args.data_file:
        name, _, path = item.partition("=")
        files[name] = path
    # Data first: a bad file fails before a model is loaded.
    problems = {n: load_problems(benchmarks[n], files.get(n), args.limit) for n in names}

    out_dir = Path(args.output_dir)
    run_config, settings = sampling_from_args(args)
    choice_settings = replace(settings, template=args.choice_prompt_template)
    # Settings of one benchmark (its k, a multiple-choice prompt) block only that benchmark on a rerun.
    per_benchmark = {name: {"k": ks[name]} for name in names}
    for name in names:
        if benchmarks[name].kind == "choice":
            per_benchmark[name]["prompt_template"] = args.choice_prompt_template
    if target_tokens is not None:
        run_config["target_tokens"] = target_tokens
    check_run_config(out_dir / "run.json", run_config, per_benchmark)
    shared = generator  # `--target_tokens`: one model for every budget

    def load_generator():
        # Recorded once the model has loaded and the prompt renders: a run that fails at start leaves the folder
        # free for the corrected command.
        generator = shared if shared is not None else generator_from_args(args)
        render_prompts(
            generator.tokenizer, [problems[names[0]][0]["question"]], settings.template, settings.use_chat_template
        )
        record_run_config(out_dir / "run.json", run_config, per_benchmark)
        return generator

    generator = LazyGenerator(load_generator)  # not loaded when every sample is already done
    cutoffs = parse_cutoffs(args.cutoffs)
    verifier = Verifier(timeout=args.verifier_timeout, extraction=args.answer_extraction)
    results = {}
    try:
        for name in names:
            bench = benchmarks[name]
            results[name] = evaluate_benchmark(
                bench, problems[name], generator, verifier, out_dir, ks[name],
                choice_settings if bench.kind == "choice" else settings, cutoffs, target_tokens,
            )  # fmt: skip
            m = results[name]
            print(f"{name}: pass rate {m['pass_rate']:.3f}, avg tokens {m['avg_tokens']:.1f}, "
                  f"{m['truncated_frac']:.0%} hit the token limit (k={m['k']}) -> {out_dir / name}")  # fmt: skip
            if m["truncated_frac"] > 0.5 and generator.loaded:  # said when generated; a finished rerun loads nothing
                logger.warning(
                    truncation_warning(
                        name,
                        m["truncated_frac"],
                        f"--max_completion_length {args.max_tokens}",
                        generator.tokenizer,
                        generator.eos_token_ids,
                    )
                )
    finally:
        verifier.close()
    return results


class LazyGenerator:
    """Builds the generator on first use, so a finished evaluation (a rerun, a done checkpoint) loads no model."""

    def __init__(self, build):
        self._build, self._generator = build, None

    @property
    def loaded(self) -> bool:
        return self._generator is not None

    def __getattr__(self, name: str):
        if self._generator is None:
            self._generator = self._build()
        return getattr(self._generator, name)


def evaluate_targets(args: argparse.Namespace, argv: list[str]) -> dict[int, dict]:
    """Evaluate with each budget of `--target_tokens` stated in the prompt, into `OUTPUT_DIR/target-N` (one model
    load for all), and write `OUTPUT_DIR/target_length.json`: per benchmark and budget, the pass rate, the mean
    used tokens and their mean absolute and relative error against the budget. `plot --targets` draws it."""
    if any(n < 1 for n in args.target_tokens):
        raise SettingError(f"--target_tokens must be >= 1, got {args.target_tokens}")
    generator = LazyGenerator(lambda: generator_from_args(args))
    args.prompt_template = prompt_template(args)  # each budget is stated in the same template
    results, summary = {}, {}
    for n in args.target_tokens:
        budgeted = [
            "--prompt_template", with_budget(args.prompt_template, n, args.target_template),
            "--choice_prompt_template", with_budget(args.choice_prompt_template, n, args.target_template),
            "--output_dir", str(Path(args.output_dir) / f"target-{n}"),
        ]  # fmt: skip
        results[n] = main([*argv, *budgeted], generator=generator, target_tokens=n)
        for name, m in results[n].items():
            summary.setdefault(name, []).append({"pass_rate": m["pass_rate"], **m["target"]})
    path = Path(args.output_dir) / "target_length.json"
    path.write_text(json.dumps(summary, indent=2))
    for name, rows in summary.items():
        for r in rows:
            print(
                f"{name} target {r['target_tokens']}: pass rate {r['pass_rate']:.3f}, used {r['mean_tokens']:.1f} "
                f"tokens, |error| {r['mean_abs_error']:.1f} ({100 * r['mean_rel_error']:.1f}%)"
            )
    return results


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """The `checkpoint-N` folders of a training output_dir, by step."""
    if not Path(run_dir).is_dir():
        raise MissingPathError(
            f"--model_name_or_path: {str(run_dir)!r} is not a folder; --all_checkpoints takes a training output_dir"
        )
    from .dynamics import checkpoints

    folders = checkpoints(Path(run_dir))
    if not folders:
        raise SettingError(f"{run_dir}: no checkpoint-N folders; --all_checkpoints takes a training output_dir")
    return folders


def evaluate_checkpoints(args: argparse.Namespace, argv: list[str]) -> dict[str, dict]:
    """Evaluate every checkpoint of the run `args.model`, each like a model of its own in `OUTPUT_DIR/checkpoint-N`
    (resumable per checkpoint; a finished one is skipped without loading it). `plot --checkpoints` draws them."""
    base = [a for a in argv if a != "--all_checkpoints"]
    results = {}
    for checkpoint in list_checkpoints(args.model):
        logger.info("evaluating %s", checkpoint)
        results[checkpoint.name] = main([*base, "--model_name_or_path", str(checkpoint),
                                         "--output_dir", str(Path(args.output_dir) / checkpoint.name)])  # fmt: skip
        free_accelerator_memory()
    return results


def free_accelerator_memory() -> None:
    """Release the last model before the next one loads (vLLM keeps its engine and GPU memory until told)."""
    import gc

    gc.collect()
    try:
        from vllm.distributed.parallel_state import cleanup_dist_env_and_memory
    except ImportError:
        return
    cleanup_dist_env_and_memory()


if __name__ == "__main__":
    command(main)
