"""Sampling completions for evaluation and rejection sampling: vLLM on GPUs, transformers `generate` on CPU, and
an append-only JSONL log that lets long jobs resume after an interruption."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SamplingSettings:
    template: str
    use_chat_template: bool = True
    temperature: float = 0.6
    top_p: float = 1.0
    max_tokens: int = 32768
    seed: int = 0
    chunk_size: int = 256  # prompts generated between two writes


@dataclass
class Generation:
    text: str
    num_tokens: int  # generated tokens, the EOS token included
    finished: bool  # ended with EOS; False when it hit the token limit


def render_prompts(tokenizer, questions: Sequence[str], template: str, use_chat_template: bool = True) -> list[str]:
    """The user turn `template` (with `{question}` filled in), rendered with the model's chat template."""
    if "{question}" not in template:
        raise ValueError(f"prompt template must contain '{{question}}', got {template!r}")
    contents = [template.replace("{question}", q) for q in questions]
    if not use_chat_template:
        return contents
    return [
        tokenizer.apply_chat_template([{"role": "user", "content": c}], tokenize=False, add_generation_prompt=True)
        for c in contents
    ]


class TransformersGenerator:
    """Batched sampling with `model.generate` (CPU, small models, tests)."""

    def __init__(self, model_name_or_path: str, batch_size: int = 8, dtype: str = "float32", revision: str = "main"):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_name_or_path, revision=revision)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(
            model_name_or_path, revision=revision, dtype=getattr(torch, dtype)
        ).eval()
        eos = self.model.generation_config.eos_token_id
        eos = [eos] if isinstance(eos, int) else list(eos or [])
        self.eos_token_ids = sorted({*eos, self.tokenizer.eos_token_id})
        self.batch_size = batch_size

    def generate(
        self, prompts: Sequence[str], n: int, temperature: float, top_p: float, max_tokens: int, seed: int
    ) -> list[list[Generation]]:
        import torch

        results: list[list[Generation]] = []
        for start in range(0, len(prompts), self.batch_size):
            batch = list(prompts[start : start + self.batch_size])
            inputs = self.tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False)
            torch.manual_seed(seed + start)
            with torch.no_grad():
                output = self.model.generate(
                    **inputs,
                    do_sample=temperature > 0,
                    temperature=temperature if temperature > 0 else None,
                    top_p=top_p if temperature > 0 else None,
                    max_new_tokens=max_tokens,
                    num_return_sequences=n,
                    eos_token_id=self.eos_token_ids,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
            for i in range(len(batch)):
                results.append([self._to_generation(ids) for ids in new_tokens[i * n : (i + 1) * n]])
        return results

    def _to_generation(self, ids: list[int]) -> Generation:
        end = next((i for i, t in enumerate(ids) if t in self.eos_token_ids), None)
        if end is None:
            return Generation(self.tokenizer.decode(ids, skip_special_tokens=True), len(ids), False)
        return Generation(self.tokenizer.decode(ids[:end], skip_special_tokens=True), end + 1, True)


class VLLMGenerator:
    """Batched sampling with vLLM (GPUs; tensor parallel with `tensor_parallel_size`)."""

    def __init__(
        self,
        model_name_or_path: str,
        tensor_parallel_size: int = 1,
        dtype: str = "bfloat16",
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        revision: str = "main",
        seed: int = 0,
    ):
        try:
            from vllm import LLM
        except ImportError as e:
            raise ImportError("the vllm backend needs the `vllm` extra: pip install -e '.[vllm]'") from e
        self.llm = LLM(
            model=model_name_or_path,
            revision=revision,
            tensor_parallel_size=tensor_parallel_size,
            dtype=dtype,
            max_model_len=max_model_len,
            gpu_memory_utilization=gpu_memory_utilization,
            seed=seed,
            trust_remote_code=False,
        )
        self.tokenizer = self.llm.get_tokenizer()

    def generate(
        self, prompts: Sequence[str], n: int, temperature: float, top_p: float, max_tokens: int, seed: int
    ) -> list[list[Generation]]:
        from vllm import SamplingParams

        params = SamplingParams(n=n, temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed)
        # Token ids, not text: the chat template already holds any BOS token, and vLLM would add another.
        inputs = [{"prompt_token_ids": self.tokenizer(p, add_special_tokens=False)["input_ids"]} for p in prompts]
        outputs = self.llm.generate(inputs, params, use_tqdm=False)
        return [
            [Generation(o.text, len(o.token_ids), o.finish_reason == "stop") for o in request.outputs]
            for request in outputs
        ]


def add_sampling_args(p: argparse.ArgumentParser) -> None:
    """The model, backend and sampling options of every command that samples (evaluation, rejection sampling)."""
    from .data import PAPER_PROMPT

    p.add_argument("--model", required=True, help="Hub id or local folder")
    p.add_argument("--revision", default="main")
    p.add_argument("--temperature", type=float, default=0.6)
    p.add_argument("--top_p", type=float, default=1.0)
    p.add_argument("--max_tokens", type=int, default=32768)
    p.add_argument("--prompt_template", default=PAPER_PROMPT)
    p.add_argument("--no_chat_template", action="store_true", help="send the prompt as plain text")
    p.add_argument("--backend", choices=["vllm", "transformers"], default="vllm")
    p.add_argument("--tensor_parallel_size", type=int, default=1)
    p.add_argument("--dtype", default=None, help="bfloat16 for vllm, float32 for transformers by default")
    p.add_argument("--batch_size", type=int, default=8, help="transformers backend: prompts per generate call")
    p.add_argument("--chunk_size", type=int, default=256, help="prompts generated between two writes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--answer_extraction", choices=["paper", "boxed"], default="paper",
        help="paper: last \\boxed{}, else the stated final answer, else the last number; boxed: last \\boxed{} only",
    )  # fmt: skip


def sampling_from_args(args: argparse.Namespace) -> tuple[dict, SamplingSettings]:
    """The settings that decide the samples (a resumed run must keep them) and the `SamplingSettings`."""
    run_config = {
        "model": args.model,
        "revision": args.revision,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "max_tokens": args.max_tokens,
        "prompt_template": args.prompt_template,
        "chat_template": not args.no_chat_template,
        "seed": args.seed,
        "answer_extraction": args.answer_extraction,
    }
    settings = SamplingSettings(
        args.prompt_template, not args.no_chat_template, args.temperature, args.top_p, args.max_tokens, args.seed,
        args.chunk_size,
    )  # fmt: skip
    return run_config, settings


def generator_from_args(args: argparse.Namespace) -> TransformersGenerator | VLLMGenerator:
    if args.backend == "vllm":
        return VLLMGenerator(
            args.model, tensor_parallel_size=args.tensor_parallel_size, dtype=args.dtype or "bfloat16",
            revision=args.revision, seed=args.seed,
        )  # fmt: skip
    return TransformersGenerator(
        args.model, batch_size=args.batch_size, dtype=args.dtype or "float32", revision=args.revision
    )


def check_run_config(path: Path, config: dict, merged: str | None = None) -> None:
    """Record `config` in `path`, or refuse it when `path` holds other settings: the samples already written there
    were drawn with those. The list under `merged` may grow from run to run (it is stored as the union)."""
    if path.exists():
        previous = json.loads(path.read_text())
        changed = {k: (previous.get(k), v) for k, v in config.items() if k != merged and previous.get(k) != v}
        if changed:
            raise ValueError(
                f"{path} was written with other settings {changed} (old, new); use another --output_dir to keep both"
            )
        if merged:
            config = {**config, merged: sorted(set(previous.get(merged, [])) | set(config[merged]))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2))


def write_jsonl(path: str | Path, rows: Iterable[dict], append: bool = False) -> None:
    """Write `rows` as JSON lines (appended and flushed with `append`)."""
    with open(path, "a" if append else "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows))
        f.flush()


class JsonlLog:
    """Append-only JSONL results: rows are flushed as they are produced, and a rerun reads back what is done.

    A torn last line (the process was killed mid-write) is dropped on open, so the rerun redoes just that row.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows: list[dict] = []
        if self.path.exists():
            lines = self.path.read_text().splitlines()
            for number, line in enumerate(lines, start=1):
                try:
                    self.rows.append(json.loads(line))
                except json.JSONDecodeError:
                    if number < len(lines):
                        raise ValueError(f"{self.path}:{number}: not valid JSON; fix or delete the file") from None
                    logger.warning("%s: dropping a torn last line (interrupted write)", self.path)
                    write_jsonl(self.path, self.rows)

    def append(self, rows: Iterable[dict]) -> None:
        rows = list(rows)
        write_jsonl(self.path, rows, append=True)
        self.rows.extend(rows)


def sample_and_score(
    problems: Sequence[dict],
    generator,
    verifier,
    log: JsonlLog,
    k: int,
    settings: SamplingSettings,
    desc: str = "sampling",
    kind: str = "math",
) -> None:
    """Generate the samples `0..k-1` of every problem (`problem_id`, `question`, `answer`, optional `level`) that
    `log` does not hold yet, score them with `verifier`, and append them to `log` chunk by chunk. `kind="choice"`:
    the answers are option letters (the verifier's multiple-choice mode)."""
    from tqdm import tqdm

    from .verifier import extract_answer

    extraction = getattr(verifier, "extraction", "paper")  # record the answer with the rule the checker used

    def extract(text: str) -> str | None:
        return extract_answer(text, extraction, kind)

    by_kind = {} if kind == "math" else {"kind": kind}

    done = {(r["problem_id"], r["sample_index"]) for r in log.rows}
    todo = [(p, [i for i in range(k) if (p["problem_id"], i) not in done]) for p in problems]
    todo = [(p, missing) for p, missing in todo if missing]
    total = sum(len(m) for _, m in todo)
    logger.info("%s: %d of %d samples to generate", desc, total, len(problems) * k)
    with tqdm(total=total, desc=desc, unit="sample") as bar:
        for start in range(0, len(todo), settings.chunk_size):
            chunk = todo[start : start + settings.chunk_size]
            for n in sorted({len(m) for _, m in chunk}):  # one generate call per number of missing samples
                part = [(p, m) for p, m in chunk if len(m) == n]
                questions = [p["question"] for p, _ in part]
                prompts = render_prompts(generator.tokenizer, questions, settings.template, settings.use_chat_template)
                generations = generator.generate(
                    prompts, n, settings.temperature, settings.top_p, settings.max_tokens, settings.seed + start
                )
                rows = [
                    {
                        "problem_id": problem["problem_id"],
                        "sample_index": index,
                        "level": problem.get("level"),
                        "completion": g.text,
                        "num_tokens": g.num_tokens,
                        "finished": g.finished,
                        "extracted_answer": extract(g.text) if g.finished else None,
                        "gold": problem["answer"],
                    }
                    for (problem, indices), gens in zip(part, generations)
                    for index, g in zip(indices, gens)
                ]
                scores = verifier(
                    [r["completion"] for r in rows], [r["gold"] for r in rows], [r["finished"] for r in rows],
                    **by_kind,
                )  # fmt: skip
                for row, score in zip(rows, scores):
                    row["correct"] = score == 1.0
                log.append(rows)
                bar.update(len(rows))
