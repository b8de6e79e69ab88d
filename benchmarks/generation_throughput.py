"""Generation throughput: vLLM against the transformers backend on the same model, prompts and settings, and the
GRPO step time of the demo recipe with vLLM colocated against transformers generation.

    python -m efficient_reasoning.demo                                   # the SFT model and data it measures on
    python benchmarks/generation_throughput.py [--demo data/demo] [--problems 400] [--k 2] [--grpo_steps 6]

Samples: the demo's SFT model on its held-out prompts, `k` samples each at temperature 0.6 and up to 160 tokens,
through each backend's `generate` (the evaluation's and rejection sampling's path), timed after the model has loaded
and one warm-up batch; samples per second of both and their ratio. GRPO: `recipes/demo/grpo.yaml` for `grpo_steps`
steps (one generation per step), the median of TRL's logged `step_time` after the first step, both ways. On a CPU
vLLM runs its CPU build, in float32 as the transformers backend; in training with the weight-sync shim the trainer
applies on a CPU (`efficient_reasoning/vllm_cpu.py`: plain `F.linear` instead of the CPU build's prepacked kernels,
so that weights can be synced). Each measurement runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def sample(backend: str, demo: Path, problems: int, k: int) -> dict:
    """In this process: load the backend's generator, warm up, time `generate` on the held-out prompts."""
    from efficient_reasoning.generation import TransformersGenerator, VLLMGenerator

    rows = [json.loads(line) for line in (demo / "data" / "heldout.jsonl").read_text().splitlines()][:problems]
    prompts = [r["problem"] for r in rows]
    if backend == "vllm":
        generator = VLLMGenerator(str(demo / "sft"), dtype="float32", seed=0)
    else:
        generator = TransformersGenerator(str(demo / "sft"), batch_size=100)
    generator.generate(prompts[:8], k, 0.6, 1.0, 160, 0)  # warm-up
    start = time.perf_counter()
    out = generator.generate(prompts, k, 0.6, 1.0, 160, 0)
    seconds = time.perf_counter() - start
    samples = [g for gens in out for g in gens]
    return {"backend": backend, "samples": len(samples), "seconds": seconds, "samples_per_s": len(samples) / seconds,
            "tokens_per_s": sum(g.num_tokens for g in samples) / seconds}  # fmt: skip


def run(cmd: list[str]) -> str:
    from tests import vllm_cpu

    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=vllm_cpu.env())
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed:\n{result.stderr[-3000:]}")
    return result.stdout


def grpo_step_time(demo: Path, use_vllm: bool, steps: int, out: Path) -> float:
    from tests.vllm_cpu import demo_grpo_args

    args = ["-m", "efficient_reasoning.grpo", *demo_grpo_args(demo, out, use_vllm), "--max_steps", str(steps)]
    run([sys.executable, str(REPO / "tests" / "vllm_cpu.py"), *args])
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    times = [h["step_time"] for h in history if "step_time" in h]
    return statistics.median(times[1:])


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--demo", default=str(REPO / "data" / "demo"), help="a finished demo folder")
    p.add_argument("--problems", type=int, default=400)
    p.add_argument("--k", type=int, default=2)
    p.add_argument("--grpo_steps", type=int, default=6, help="0: skip the GRPO comparison")
    p.add_argument("--worker", choices=["vllm", "transformers"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    demo = Path(args.demo)
    if args.worker:
        print(json.dumps(sample(args.worker, demo, args.problems, args.k)))
        return {}
    if not (demo / "sft" / "model.safetensors").exists():
        raise SystemExit(f"{demo}/sft: no model; run `python -m efficient_reasoning.demo` first (or pass --demo)")
    result = {}
    for backend in ("transformers", "vllm"):
        worker = ["--demo", str(demo), "--problems", str(args.problems), "--k", str(args.k), "--worker", backend]
        cmd = [sys.executable, "-m", "benchmarks.generation_throughput", *worker]  # vLLM as shipped: no shim
        result[backend] = json.loads(run(cmd).strip().splitlines()[-1])
        r = result[backend]
        print(f"  {backend:<13} {r['samples']} samples in {r['seconds']:.1f} s: {r['samples_per_s']:.1f} samples/s, "
              f"{r['tokens_per_s']:.0f} tokens/s")  # fmt: skip
    result["samples_ratio"] = result["vllm"]["samples_per_s"] / result["transformers"]["samples_per_s"]
    print(f"  ratio vllm/transformers samples per second: {result['samples_ratio']:.2f}")
    if args.grpo_steps:
        with tempfile.TemporaryDirectory() as tmp:
            for name, use_vllm in (("transformers", False), ("vllm", True)):
                result[f"grpo_step_s_{name}"] = grpo_step_time(demo, use_vllm, args.grpo_steps, Path(tmp) / name)
                print(f"  GRPO step with {name} generation: {result[f'grpo_step_s_{name}']:.2f} s (median)")
        result["grpo_step_ratio"] = result["grpo_step_s_vllm"] / result["grpo_step_s_transformers"]
        print(f"  ratio vllm/transformers GRPO step time: {result['grpo_step_ratio']:.2f}")
    return result


if __name__ == "__main__":
    main()
