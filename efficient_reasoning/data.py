"""Training prompts: loading (Hub or local), mapping into the paper's prompt, and the paper's training-set prep.

    python -m efficient_reasoning.data --output_dir data/numina-3200            # from AI-MO/NuminaMath-CoT
    python -m efficient_reasoning.data --dataset_name path/to/math_train.json --output_dir data/math-3200

Keeps problems from the chosen sources whose gold answer parses to a number, takes a seeded sample (3,200 by
default, as the paper), reports how many rows each filter dropped, and writes a `save_to_disk` folder (and pushes
it to the Hub with `--push_to_hub`).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path

from datasets import Dataset, DatasetDict, load_dataset, load_from_disk

from .cli import (
    ArgumentParser,
    ItemList,
    MissingPathError,
    SettingError,
    check_output_dir,
    check_range,
    check_utf8,
    command,
    hub_repo_id,
)
from .verifier import last_boxed, normalize_answer

logger = logging.getLogger(__name__)
PAPER_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}. Question: {question}"


def check_prompt_template(template: str, name: str = "prompt_template") -> None:
    """A prompt template holds the `{question}` it is filled with."""
    if "{question}" not in template:
        raise SettingError(f"{name} must contain '{{question}}', got {template!r}")


NUMINA_SOURCES = ("math", "cn_k12", "amc_aime", "aops_forum", "olympiads")
_LOCAL_SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
_NUMBER = re.compile(r"^-?(\d+(\.\d+)?|\.\d+|\\frac\{\d+\}\{\d+\}|\d+/\d+)$")


def looks_local(name: str) -> bool:
    """Whether `name` is written as a local path (a Hub id has at most one `/` and no such prefix or suffix)."""
    return (
        name.startswith(("/", "./", "../", "~", ".\\"))
        or name.count("/") > 1
        or "\\" in name
        or Path(name).suffix in _LOCAL_SUFFIXES
    )


def check_dataset_name(name: str | None, option: str = "dataset_name") -> None:
    """Fail with one line, before anything loads, when a dataset written as a local path does not exist."""
    if not name:
        raise SettingError(f"{option} is required: a Hub dataset id or a local file/folder")
    if looks_local(name) and not Path(name).expanduser().exists():
        raise MissingPathError(f"{option}: dataset file or folder {name!r} does not exist")


def load_any(name: str, config: str | None = None, split: str = "train") -> Dataset:
    """A split of a Hub dataset, or of a local .jsonl/.json/.parquet/.csv file or `save_to_disk` folder."""
    path = Path(name)
    if path.is_dir():
        if (path / "dataset_dict.json").exists() or (path / "state.json").exists():
            # In memory: `map` and `shuffle` on a dataset read from disk would write cache files into its folder,
            # which may be read-only or shared.
            loaded = load_from_disk(str(path), keep_in_memory=True)
            if isinstance(loaded, DatasetDict):
                if split not in loaded:
                    raise SettingError(f"{name}: no split {split!r}; it has {sorted(loaded)}")
                return loaded[split]
            return loaded
        return load_dataset(str(path), split=split)
    if path.suffix in _LOCAL_SUFFIXES:
        if not path.exists():
            raise MissingPathError(f"dataset file not found: {name}")
        if path.suffix != ".parquet":
            check_utf8(path)
        try:
            return load_dataset(_LOCAL_SUFFIXES[path.suffix], data_files=str(path), split="train")
        except StopIteration:  # what `datasets` raises for a file with no rows
            raise SettingError(f"{name}: the dataset is empty") from None
        except Exception as e:
            where = _bad_json_line(path) if path.suffix in (".jsonl", ".json") else None
            if where is None:
                raise
            raise SettingError(where) from e
    return load_dataset(name, config, split=split)


def _bad_json_line(path: Path) -> str | None:
    """`file:line: reason` for the first line of a JSON-lines file that is not a JSON object, else None."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                if number == 1 and path.suffix == ".json":
                    break  # maybe one JSON document over many lines: check it whole below
                return f"{path}:{number}: not valid JSON ({e.msg} at column {e.colno})"
            if not isinstance(row, dict):
                return f"{path}:{number}: expected a JSON object per line, got {type(row).__name__}"
    if path.suffix == ".json":
        try:
            json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except json.JSONDecodeError as e:
            return f"{path}:{e.lineno}: not valid JSON ({e.msg} at column {e.colno})"
    return None


def load_script_dataset(script_args, required: list[str] = ()) -> Dataset:
    """The training split a script's `DatasetArguments` name, cut to `max_train_samples`, with `required` columns."""
    check_dataset_name(script_args.dataset_name)
    dataset = load_any(script_args.dataset_name, script_args.dataset_config, script_args.dataset_train_split)
    if len(dataset) == 0:
        raise SettingError(f"{script_args.dataset_name}: the dataset is empty")
    require_columns(dataset, list(required), script_args.dataset_name)
    if script_args.max_train_samples is not None:
        dataset = dataset.select(range(min(script_args.max_train_samples, len(dataset))))
    return dataset


def require_columns(dataset: Dataset, columns: list[str], where: str) -> None:
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        raise SettingError(f"{where}: missing column(s) {missing}; available columns: {dataset.column_names}")


def to_prompts(
    dataset: Dataset,
    question_column: str,
    answer_column: str,
    template: str = PAPER_PROMPT,
    where: str = "dataset",
) -> Dataset:
    """Conversational `prompt` (one user turn: `template` with the question) and string `answer` columns.

    TRL renders `prompt` with the model's chat template. Empty datasets, missing columns and rows with an empty
    question or answer fail with the row numbers.
    """
    if len(dataset) == 0:
        raise SettingError(f"{where}: the dataset is empty")
    require_columns(dataset, [question_column, answer_column], where)
    check_prompt_template(template)
    bad = [
        i
        for i, (q, a) in enumerate(zip(dataset[question_column], dataset[answer_column]))
        if q is None or not str(q).strip() or a is None or not str(a).strip()
    ]
    if bad:
        raise SettingError(
            f"{where}: {len(bad)} row(s) with an empty {question_column!r} or {answer_column!r}, e.g. rows {bad[:10]}"
        )

    def convert(row):
        content = template.replace("{question}", str(row[question_column]))
        return {"prompt": [{"role": "user", "content": content}], "answer": str(row[answer_column])}

    return dataset.map(convert, remove_columns=dataset.column_names)


def is_numeric_answer(answer: str | None) -> bool:
    """Whether a gold answer is a plain number: an integer, a decimal or a fraction of integers."""
    if answer is None:
        return False
    text = normalize_answer(str(answer)).replace(" ", "").replace("\\dfrac", "\\frac").replace("{,}", "")
    return bool(_NUMBER.match(text))


def prepare_training_set(
    dataset: Dataset,
    sources: tuple[str, ...] | None = NUMINA_SOURCES,
    num_samples: int = 3200,
    seed: int = 42,
    where: str = "dataset",
) -> tuple[Dataset, Counter]:
    """Filter to `sources` and numeric gold answers, then take a seeded sample; returns it and the drop counts.

    The gold answer is the `answer` column when there is one, else the last `\\boxed{}` of `solution`.
    """
    check_range("num_samples", num_samples, 1)
    require_columns(dataset, ["problem"], where)
    if "answer" not in dataset.column_names:
        require_columns(dataset, ["solution"], where)
    dropped: Counter = Counter()
    use_sources = sources is not None and "source" in dataset.column_names
    keep, answers = [], []
    for i, row in enumerate(dataset):
        if use_sources and row["source"] not in sources:
            dropped["source not selected"] += 1
            continue
        if not row["problem"] or not str(row["problem"]).strip():
            dropped["empty problem"] += 1
            continue
        answer = row["answer"] if "answer" in row else last_boxed(row["solution"] or "")
        if answer is None:
            dropped["no gold answer"] += 1
            continue
        if not str(answer).strip():
            dropped["empty gold answer"] += 1
            continue
        if not is_numeric_answer(answer):
            dropped["answer not a number"] += 1
            continue
        keep.append(i)
        answers.append(normalize_answer(str(answer)))
    kept = dataset.select(keep)
    kept = kept.remove_columns([c for c in kept.column_names if c not in ("problem", "source")])
    kept = kept.add_column("answer", answers)
    if len(kept) == 0:
        reasons = ", ".join(f"{count} {reason}" for reason, count in dropped.items()) or "no rows"
        raise SettingError(f"{where}: no row survives the filters ({reasons}); nothing written")
    kept = kept.shuffle(seed=seed)
    if len(kept) < num_samples:
        logger.warning("%s: only %d rows survive the filters, fewer than --num_prompts %d", where, len(kept),
                       num_samples)  # fmt: skip
    if len(kept) > num_samples:
        dropped["beyond the sample size"] = len(kept) - num_samples
        kept = kept.select(range(num_samples))
    return kept, dropped


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--dataset_name", default="AI-MO/NuminaMath-CoT", help="Hub id or local file/folder")
    parser.add_argument("--dataset_train_split", "--split", dest="split", metavar="SPLIT", default="train")
    parser.add_argument("--sources", action=ItemList, default=",".join(NUMINA_SOURCES),
                        help="separated by commas or spaces; 'all' keeps every one")  # fmt: skip
    parser.add_argument("--num_prompts", "--num_samples", dest="num_prompts", metavar="N", type=int, default=3200,
                        help="rows to keep (>= 1)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output_dir", required=True, help="where to write the `save_to_disk` folder")
    parser.add_argument("--push_to_hub", default=None, type=hub_repo_id, metavar="REPO_ID",
                        help="also push to this Hub dataset repo")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    # Every input is checked before anything is read or written.
    check_range("--num_prompts", args.num_prompts, 1)
    sources = None if args.sources == "all" else tuple(s.strip() for s in args.sources.split(",") if s.strip())
    if sources is not None and not sources:
        raise SettingError("--sources names no source; give a comma-separated list or 'all'")
    check_dataset_name(args.dataset_name, "--dataset_name")
    check_output_dir(args.output_dir, inputs={"--dataset_name": args.dataset_name})
    if args.push_to_hub:
        from .utils import check_hub_access

        check_hub_access(what="--push_to_hub")
    raw = load_any(args.dataset_name, split=args.split)
    kept, dropped = prepare_training_set(raw, sources, args.num_prompts, args.seed, where=args.dataset_name)
    print(f"{args.dataset_name}: {len(raw)} rows read")
    for reason, count in dropped.items():
        print(f"  dropped {count:>7} ({reason})")
    short = f" (fewer than --num_prompts {args.num_prompts})" if len(kept) < args.num_prompts else ""
    print(f"  kept    {len(kept):>7} -> {args.output_dir}{short}")
    kept.save_to_disk(args.output_dir)
    if args.push_to_hub:
        kept.push_to_hub(args.push_to_hub)


if __name__ == "__main__":
    command(main)
