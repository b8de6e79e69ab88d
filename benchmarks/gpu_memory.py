"""Peak GPU memory and time of one training micro-step of the project's trainer, by completion length and micro-batch.

    python benchmarks/gpu_memory.py --arch 1.5B --tokenizer_dir ../shared/data/tokenizers/qwen2.5 \\
        --recipe recipes/DeepSeek-R1-Distill-Qwen-1.5B/grpo/config.yaml
    python benchmarks/gpu_memory.py --arch tiny --lengths 64,128 --batch_sizes 1,2     # CPU: the path runs

Builds a random-weight model of the DeepSeek-R1-Distill-Qwen architecture (`1.5B` or `7B`, from its config, no
download) in bf16 with gradient checkpointing, and runs `EfficientReasoningGRPOTrainer.compute_loss` (TRL's GRPO
loss: fused LM head, PPO clip, KL to the reference log-probs) and its backward on synthetic completions of each
length, for each micro-batch size. It prints the peak memory and time of each, and, with `--recipe`, whether the
micro-step fits beside the vLLM share the recipe reserves (`vllm_gpu_memory_utilization`), counting the recipe's
share of the optimizer state (fp32 master weights and Adam moments, 12 bytes a parameter, split over the recipe's
GPUs by ZeRO, none on the GPU when Adam is offloaded to the CPU).

What the figure covers: one process holding the whole model, its gradients and the reference model (ZeRO shards
these over the GPUs, so a real run needs less), and no vLLM engine (the recipe's share is subtracted instead).
Generation, the reference forward pass and the optimizer step are separate phases and are not measured.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# DeepSeek-R1-Distill-Qwen-{1.5B,7B} `config.json` (Qwen2 architecture), the fields that set the memory.
ARCHS = {
    "1.5B": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                 num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=False),
    "7B": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
               num_key_value_heads=4, vocab_size=152064, tie_word_embeddings=False),
}  # fmt: skip
OPTIMIZER_BYTES_PER_PARAM = 12  # fp32 master copy + Adam's two moments (mixed precision)
PROMPT_TOKENS = 128


def build_model_dir(arch: str, tokenizer_dir: str | None, out: Path) -> Path:
    """A random-weight model of `arch` saved with its tokenizer in `out` (the trainer loads its reference from it)."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from efficient_reasoning.tiny import build

    if arch == "tiny":
        return build(out) / "model"
    if not tokenizer_dir:
        raise SystemExit("--tokenizer_dir is required for the real architectures (the Qwen2.5 tokenizer files)")
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = Qwen2Config(
        **ARCHS[arch], max_position_embeddings=131072, rope_theta=10000.0, rms_norm_eps=1e-6,
        bos_token_id=151646, eos_token_id=151643, dtype="bfloat16",
    )  # fmt: skip
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = Qwen2ForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(out / "model")
    tokenizer.save_pretrained(out / "model")
    return out / "model"


def make_trainer(model_dir: Path, out: Path, bf16: bool):
    from datasets import Dataset

    from efficient_reasoning.configs import EfficientReasoningConfig
    from efficient_reasoning.trainer import EfficientReasoningGRPOTrainer

    args = EfficientReasoningConfig(
        output_dir=str(out / "run"), per_device_train_batch_size=2, num_generations=2, beta=1e-3, bf16=bf16,
        use_cpu=not bf16, gradient_checkpointing=True, gradient_checkpointing_kwargs={"use_reentrant": False},
        model_init_kwargs={"dtype": "bfloat16" if bf16 else "float32"}, report_to="none", verifier_num_workers=0,
    )  # fmt: skip
    data = Dataset.from_dict({"prompt": [[{"role": "user", "content": "1+1?"}]] * 2, "answer": ["2"] * 2})
    trainer = EfficientReasoningGRPOTrainer(model=str(model_dir), args=args, train_dataset=data)
    # `Trainer.train` switches gradient checkpointing on; the micro-step here runs outside it
    trainer.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=args.gradient_checkpointing_kwargs)
    trainer.model.config.use_cache = False
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1  # set by `Trainer.train` per accumulation window
    return trainer


def micro_step(trainer, batch_size: int, length: int) -> dict:
    """Loss and backward of one micro-batch of `batch_size` completions of `length` tokens: peak memory and time."""
    import torch

    model = trainer.model
    device = next(model.parameters()).device
    vocab = model.config.vocab_size
    g = torch.Generator(device="cpu").manual_seed(length + batch_size)
    ones = torch.ones(batch_size, length, dtype=torch.long, device=device)
    inputs = {
        "prompt_ids": torch.randint(0, vocab, (batch_size, PROMPT_TOKENS), generator=g).to(device),
        "prompt_mask": torch.ones(batch_size, PROMPT_TOKENS, dtype=torch.long, device=device),
        "completion_ids": torch.randint(0, vocab, (batch_size, length), generator=g).to(device),
        "completion_mask": ones,
        "advantages": torch.randn(batch_size, generator=g).to(device),
        "ref_per_token_logps": torch.full((batch_size, length), -math.log(vocab), device=device),
        "num_items_in_batch": torch.tensor(float(batch_size * length), device=device),
    }
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        torch.cuda.synchronize()
    start = time.perf_counter()
    try:
        loss = trainer.compute_loss(model, inputs)
        trainer.accelerator.backward(loss)
        if cuda:
            torch.cuda.synchronize()
    except torch.OutOfMemoryError:
        model.zero_grad(set_to_none=True)
        return {"status": "OOM"}
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    model.zero_grad(set_to_none=True)
    return {"status": "ok", "seconds": seconds, "peak_gib": peak, "loss": loss.item()}


def recipe_budget(recipe: dict, num_params: int, total_gib: float, zero_gpus: int, offload: bool) -> float:
    """GiB a training micro-step may use on one GPU of `total_gib` under `recipe`: what vLLM's share leaves, less
    this GPU's slice of the optimizer state."""
    optimizer = 0.0 if offload else num_params * OPTIMIZER_BYTES_PER_PARAM / zero_gpus / 2**30
    return total_gib * (1.0 - recipe.get("vllm_gpu_memory_utilization", 0.0)) - optimizer


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=[*ARCHS, "tiny"], default="1.5B")
    p.add_argument(
        "--tokenizer_dir", default=None, help="Qwen2.5 tokenizer files (e.g. shared/data/tokenizers/qwen2.5)"
    )
    p.add_argument("--lengths", default="8192,16384,32768", help="completion lengths in tokens")
    p.add_argument("--batch_sizes", default="1,2,4,8", help="micro-batch sizes (completions per micro-step)")
    p.add_argument("--recipe", default=None, help="a GRPO recipe: report which settings fit beside its vLLM share")
    p.add_argument("--zero_gpus", type=int, default=None, help="GPUs the optimizer state is split over (recipe's)")
    p.add_argument("--offload_optimizer", action="store_true", help="Adam on the CPU (the 7B recipe's ZeRO-3)")
    p.add_argument("--output", default=None, help="also write the rows as JSON here")
    args = p.parse_args(argv)

    import torch
    import yaml

    lengths = [int(x) for x in args.lengths.split(",")]
    batch_sizes = [int(x) for x in args.batch_sizes.split(",")]
    recipe = yaml.safe_load(Path(args.recipe).read_text()) if args.recipe else None
    cuda = torch.cuda.is_available()
    total_gib = torch.cuda.get_device_properties(0).total_memory / 2**30 if cuda else None
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(build_model_dir(args.arch, args.tokenizer_dir, Path(tmp)), Path(tmp), bf16=cuda)
        num_params = sum(p.numel() for p in trainer.model.parameters())
        zero_gpus = args.zero_gpus or (4 if args.arch == "1.5B" else 8)
        budget = (
            recipe_budget(recipe, num_params, total_gib, zero_gpus, args.offload_optimizer)
            if recipe and cuda
            else None
        )
        device = torch.cuda.get_device_name(0) if cuda else "CPU"
        print(f"{args.arch}: {num_params / 1e9:.2f}B parameters on {device} (torch {torch.__version__})")
        if budget is not None:
            print(
                f"budget beside vLLM's share {recipe.get('vllm_gpu_memory_utilization')} of {total_gib:.1f} GiB, "
                f"less the optimizer state over {zero_gpus} GPUs{' (offloaded)' if args.offload_optimizer else ''}: "
                f"{budget:.1f} GiB"
            )
        print("| completion tokens | micro-batch | peak GiB | seconds | fits |")
        print("|---:|---:|---:|---:|---|")
        rows = []
        for length in lengths:
            for batch_size in batch_sizes:
                row = {"length": length, "batch_size": batch_size, **micro_step(trainer, batch_size, length)}
                if row["status"] == "ok":
                    fits = "n/a" if budget is None else ("yes" if row["peak_gib"] <= budget else "no")
                    peak = "n/a" if row["peak_gib"] is None else f"{row['peak_gib']:.1f}"
                    print(f"| {length} | {batch_size} | {peak} | {row['seconds']:.2f} | {fits} |", flush=True)
                else:
                    fits = "no"
                    print(f"| {length} | {batch_size} | OOM | - | no |", flush=True)
                row["fits"] = fits
                rows.append(row)
                if row["status"] == "OOM":
                    break  # larger micro-batches at this length do not fit either
    if recipe:
        setting = (recipe.get("max_completion_length"), recipe.get("per_device_train_batch_size"))
        at_least = [r for r in rows if r["length"] >= setting[0] and r["batch_size"] == setting[1]]
        verdict = at_least[0]["fits"] if at_least else "not measured"
        print(f"recipe {args.recipe}: micro-batch {setting[1]} at up to {setting[0]} tokens -> fits: {verdict}")
    if args.output:
        Path(args.output).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
