"""Rejection sampling for the paper's SFT and DPO baselines (Section 5.2).

    python -m efficient_reasoning.rejection_sampling --model_name_or_path deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B \\
        --dataset_name data/numina-3200 --output_dir data/rs-1.5b [--push_to_hub user/rs-1.5b]

Samples n responses per training prompt (8 by default), scores them with the project's verifier and writes, next
to the resumable `samples.jsonl`, two `save_to_disk` datasets in TRL's plain-text (not conversational) formats:
`sft/` (prompt, completion) with the shortest correct response per prompt, and `dpo/` (prompt, chosen, rejected)
with the shortest correct response as chosen and the longest correct one as rejected, for prompts where their
lengths differ. `prompt` is the user turn rendered with the model's chat template and generation prompt, as the
model saw it (for DeepSeek-R1-Distill it ends in `<think>\n`); each response is the text as generated, reasoning
included, followed by the EOS token. TRL then trains on exactly that text: rendering the pair as chat messages
instead would go through the R1-Distill template, which drops everything before `</think>` from an assistant turn.
A rerun with the same `--output_dir` generates only the missing samples; `run.json` there records the settings, and
a rerun with other settings is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from datasets import Dataset, Features, Value

from .cli import ArgumentParser, check_output_dir, check_range, command, hub_repo_id
from .evaluate import Benchmark, load_problems
from .generation import (
    JsonlLog,
    add_sampling_args,
    check_run_config,
    check_sampling_args,
    generator_from_args,
    record_run_config,
    render_prompts,
    sample_and_score,
    sampling_from_args,
)
from .metrics import by_problem
from .utils import setup_logging
from .verifier import Verifier

logger = logging.getLogger(__name__)
# Explicit schemas, so that a run with no correct response still writes loadable (empty) datasets.
SFT_FEATURES = Features({"prompt": Value("string"), "completion": Value("string"), "num_tokens": Value("int64")})
DPO_FEATURES = Features({"prompt": Value("string"), "chosen": Value("string"), "rejected": Value("string")})


def select_pairs(samples: Sequence[dict]) -> tuple[dict, dict]:
    """Per problem id: the shortest correct sample (SFT), and (shortest, longest) correct samples (DPO) when their
    token counts differ. Ties in length go to the lowest sample index."""
    sft, dpo = {}, {}
    for problem_id, group in by_problem(samples).items():
        correct = sorted((s for s in group if s["correct"]), key=lambda s: (s["num_tokens"], s["sample_index"]))
        if not correct:
            continue
        shortest = correct[0]
        longest = max(correct, key=lambda s: (s["num_tokens"], -s["sample_index"]))
        sft[problem_id] = shortest
        if longest["num_tokens"] > shortest["num_tokens"]:
            dpo[problem_id] = (shortest, longest)
    return sft, dpo


def plain_prompt(tokenizer, rendered: str) -> str:
    """`rendered` (a chat-template string) as TRL's plain-text path must receive it. TRL tokenizes a plain prompt
    with the tokenizer's special tokens on; a tokenizer that prepends BOS itself (DeepSeek-R1-Distill's) would then
    repeat the BOS the chat template already wrote, so that one is dropped from the text."""
    bos = getattr(tokenizer, "bos_token", None)
    if bos and rendered.startswith(bos):
        ids = tokenizer("x")["input_ids"]
        if ids and ids[0] == tokenizer.bos_token_id:
            return rendered[len(bos) :]
    return rendered


def build_datasets(
    problems: Sequence[dict], samples: Sequence[dict], prompts: dict[str, str], eos_token: str
) -> tuple[Dataset, Dataset]:
    """The SFT and DPO datasets: `prompts` maps a problem id to its prompt text (see `plain_prompt`), and each
    selected completion gets `eos_token` appended, the token that ended its generation."""
    sft, dpo = select_pairs(samples)

    def reply(sample: dict) -> str:
        return sample["completion"] + eos_token

    sft_rows = [
        {"prompt": prompts[pid], "completion": reply(sft[pid]), "num_tokens": sft[pid]["num_tokens"]}
        for pid in (p["problem_id"] for p in problems)
        if pid in sft
    ]
    dpo_rows = [
        {"prompt": prompts[pid], "chosen": reply(dpo[pid][0]), "rejected": reply(dpo[pid][1])}
        for pid in (p["problem_id"] for p in problems)
        if pid in dpo
    ]
    return _dataset(sft_rows, SFT_FEATURES), _dataset(dpo_rows, DPO_FEATURES)


def _dataset(rows: list[dict], features: Features) -> Dataset:
    columns = {name: [row[name] for row in rows] for name in features}
    return Dataset.from_dict(columns, features=features)


def build_parser() -> ArgumentParser:
    p = ArgumentParser(description=__doc__)
    add_sampling_args(p)
    p.add_argument("--dataset_name", required=True, help="training prompts: Hub id or local file/folder")
    p.add_argument("--dataset_train_split", "--split", dest="split", metavar="SPLIT", default="train")
    p.add_argument("--question_column", default="problem")
    p.add_argument("--answer_column", default="answer")
    p.add_argument("--limit", type=int, default=None, help="first N prompts only")
    p.add_argument("--output_dir", required=True)
    p.add_argument("--num_generations", "--num_samples", dest="num_samples", metavar="N", type=int, default=8,
                   help="responses per prompt")  # fmt: skip
    p.add_argument("--push_to_hub", default=None, type=hub_repo_id, metavar="REPO_ID",
                   help="push REPO_ID-sft and REPO_ID-dpo")  # fmt: skip
    return p


def main(argv: list[str] | None = None) -> dict:
    setup_logging()
    args = build_parser().parse_args(argv)
    # Every option and path checked before anything is read, written or loaded.
    check_sampling_args(args, argv)
    check_range("--limit", args.limit, 1)
    check_range("--num_generations", args.num_samples, 1)
    from .data import check_dataset_name

    check_dataset_name(args.dataset_name, "--dataset_name")
    check_output_dir(args.output_dir, inputs={"--model_name_or_path": args.model, "--dataset_name": args.dataset_name})

    # The evaluation's loader: same checks, bad rows reported by number; `load_any` takes Hub ids and local paths.
    source = Benchmark("prompts", args.dataset_name, None, args.split, "", args.question_column, args.answer_column, 1)
    problems = load_problems(source, limit=args.limit)
    if args.push_to_hub:  # fail now, not after hours of sampling
        from .utils import check_hub_access

        check_hub_access(what="--push_to_hub")
    out = Path(args.output_dir)
    run_config, settings = sampling_from_args(args)
    # Samples are keyed by row number: a rerun must read the same prompts with the same settings.
    data_config = {k: getattr(args, k) for k in ("dataset_name", "split", "question_column", "answer_column")}
    check_run_config(out / "run.json", {**run_config, **data_config})
    generator = generator_from_args(args)
    render_prompts(generator.tokenizer, [problems[0]["question"]], settings.template, settings.use_chat_template)
    record_run_config(out / "run.json", {**run_config, **data_config})  # only once the run really starts
    log = JsonlLog(out / "samples.jsonl")
    verifier = Verifier(extraction=args.answer_extraction)
    try:
        sample_and_score(problems, generator, verifier, log, args.num_samples, settings, desc="rejection sampling")
    finally:
        verifier.close()

    ids = {p["problem_id"] for p in problems}
    samples = [r for r in log.rows if r["problem_id"] in ids and r["sample_index"] < args.num_samples]
    tokenizer = generator.tokenizer
    rendered = render_prompts(
        tokenizer, [p["question"] for p in problems], settings.template, settings.use_chat_template
    )
    prompts = {p["problem_id"]: plain_prompt(tokenizer, r) for p, r in zip(problems, rendered)}
    sft, dpo = build_datasets(problems, samples, prompts, getattr(tokenizer, "eos_token", None) or "")
    sft.save_to_disk(str(out / "sft"), num_shards=1)  # one shard: an empty dataset still loads
    dpo.save_to_disk(str(out / "dpo"), num_shards=1)
    report = {"prompts": len(problems), "sft_rows": len(sft), "dpo_pairs": len(dpo)}
    print(
        f"{report['prompts']} prompts: {report['sft_rows']} with a correct response (SFT), "
        f"{report['dpo_pairs']} with correct responses of different lengths (DPO) -> {out}/sft, {out}/dpo"
    )
    for name, count in (("SFT rows", len(sft)), ("DPO pairs", len(dpo))):
        if count == 0:
            logger.warning(
                "no %s: %s. Sample more per prompt (--num_generations), raise --max_completion_length if responses "
                "are truncated, or check --prompt_template and the answer column (see samples.jsonl).",
                name,
                "no prompt had a correct response"
                if name == "SFT rows"
                else "no prompt had two correct responses of different lengths",
            )
    if args.push_to_hub:
        sft.push_to_hub(f"{args.push_to_hub}-sft")
        dpo.push_to_hub(f"{args.push_to_hub}-dpo")
    return report


if __name__ == "__main__":
    command(main)
