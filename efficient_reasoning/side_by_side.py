"""The same questions answered by several models, with token counts (the paper's Appendix A comparison).

    python -m efficient_reasoning.side_by_side \\
        --models deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B data/DeepSeek-R1-Distill-Qwen-1.5B-efficient-alpha0.4 \\
        --questions "How much is 1+1?" --output_dir results/side-by-side

Prints each model's completion under each question and writes `side_by_side.md` and `side_by_side.jsonl` (one row
per question, model and sample). Models load one at a time, each rendering the prompt with its own chat template.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .cli import ArgumentParser, SettingError, check_input_path, check_output_dir, check_range, command, read_text
from .generation import (
    SamplingSettings,
    add_generation_args,
    check_sampling_args,
    generator_from_args,
    prompt_template,
    render_prompts,
    write_jsonl,
)
from .utils import setup_logging
from .verifier import last_boxed

APPENDIX_A_QUESTION = "How much is 1+1?"


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(description=__doc__)
    p.add_argument("--models", nargs="+", required=True, help="Hub ids or local folders")
    p.add_argument("--labels", nargs="+", default=None, help="a label per model (default: the folder or repo name)")
    p.add_argument("--questions", nargs="+", default=None, help=f"default: {APPENDIX_A_QUESTION!r}")
    p.add_argument("--questions_file", default=None, help="a text file, one question per line")
    p.add_argument("--output_dir", default=None, help="where to write side_by_side.md and .jsonl")
    p.add_argument("--num_generations", "--num_samples", dest="num_samples", metavar="N", type=int, default=1,
                   help="completions per model and question")  # fmt: skip
    add_generation_args(p)
    return p


def read_questions(args: argparse.Namespace) -> list[str]:
    questions = list(args.questions or [])
    if args.questions_file:
        check_input_path(args.questions_file, "--questions_file", folder=False)
        lines = read_text(args.questions_file).splitlines()
        from_file = [line.strip() for line in lines if line.strip()]
        if not from_file:
            raise SettingError(f"{args.questions_file}: no questions (one per line)")
        questions += from_file
    return questions or [APPENDIX_A_QUESTION]


def answer(args: argparse.Namespace, model: str, questions: list[str], settings: SamplingSettings) -> list[list]:
    """`num_samples` generations per question from one model."""
    generator = generator_from_args(argparse.Namespace(**{**vars(args), "model": model}), "--models")
    template = prompt_template(args, model)  # each model with the prompt it was trained with, unless one is given
    prompts = render_prompts(generator.tokenizer, questions, template, settings.use_chat_template)
    return generator.generate(
        prompts, args.num_samples, settings.temperature, settings.top_p, settings.max_tokens, settings.seed
    )


def to_markdown(rows: list[dict], questions: list[str]) -> str:
    lines = []
    for q_index, question in enumerate(questions):
        lines += [f"## {question}", ""]
        for r in (r for r in rows if r["question_index"] == q_index):
            status = "" if r["finished"] else ", hit the token limit"
            sample = f" (sample {r['sample_index']})" if r["sample_index"] else ""
            lines += [
                f"### {r['label']}{sample}: {r['num_tokens']} tokens{status}",
                "",
                "````",
                r["completion"],
                "````",
                "",
            ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    setup_logging()
    args = build_parser().parse_args(argv)
    labels = args.labels or [Path(m.rstrip("/")).name for m in args.models]
    if len(labels) != len(args.models):
        raise SettingError(f"{len(labels)} labels for {len(args.models)} models")
    # Every option and path checked before any model loads.
    check_range("--num_generations", args.num_samples, 1)
    for model in args.models:
        check_sampling_args(argparse.Namespace(**{**vars(args), "model": model}), argv, "--models")
    if args.output_dir is not None:
        check_output_dir(args.output_dir, inputs=[("--models", m) for m in args.models])
    questions = read_questions(args)
    settings = SamplingSettings(
        args.prompt_template or "", not args.no_chat_template, args.temperature, args.top_p, args.max_tokens, args.seed
    )
    from .evaluate import free_accelerator_memory

    answers = []
    for model in args.models:  # one model in memory at a time
        answers.append(answer(args, model, questions, settings))
        free_accelerator_memory()
    rows = [
        {"question_index": q, "question": question, "model": model, "label": label, "sample_index": i,
         "completion": g.text, "num_tokens": g.num_tokens, "finished": g.finished,
         "answer": last_boxed(g.text) if g.finished else None}
        for q, question in enumerate(questions)
        for label, model, generations in zip(labels, args.models, answers)
        for i, g in enumerate(generations[q])
    ]  # fmt: skip
    markdown = to_markdown(rows, questions)
    print(markdown)
    if args.output_dir:
        out = Path(args.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "side_by_side.md").write_text(markdown)
        write_jsonl(out / "side_by_side.jsonl", rows)
        (out / "settings.json").write_text(json.dumps({**vars(args), "questions": questions}, indent=2))
        print(f"written to {out}: side_by_side.md, side_by_side.jsonl, settings.json")
    return rows


if __name__ == "__main__":
    command(main)
