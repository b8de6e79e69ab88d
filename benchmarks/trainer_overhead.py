"""What the project's trainer costs on top of TRL: the same tiny-model GRPO run with both trainers.

    python benchmarks/trainer_overhead.py [--steps 12] [--processes 1|2] [--rounds 2] [--model PATH]

Runs TRL's `GRPOTrainer` (`scale_rewards="none"`, a plain correctness reward) and `EfficientReasoningGRPOTrainer` on
the same data, seed, generation length and number of steps, each in its own process(es), and prints the median step
time of both, their ratio (project / TRL; target <= 1.05) and the peak memory (max RSS) of both. The two run in
turns, `--rounds` times each, so that noise hits both alike. With `--processes 2` both run under `accelerate launch`
with two CPU processes. Without `--model` a tiny random-weight Qwen2 is built; `--model` takes any local model
folder (e.g. one built from a larger config).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_one(trainer: str, model: str, data: str, steps: int, completion_length: int, out: str, bf16: bool) -> None:
    """Inside one (launched) process: train `steps` steps and write the step times and max RSS."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from efficient_reasoning.configs import EfficientReasoningConfig
    from efficient_reasoning.data import load_any, to_prompts
    from efficient_reasoning.rewards import CorrectnessReward
    from efficient_reasoning.trainer import EfficientReasoningGRPOTrainer
    from efficient_reasoning.verifier import Verifier

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times, self._start = [], None

        def on_step_begin(self, args, state, control, **kwargs):
            self._start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.times.append(time.perf_counter() - self._start)

    common = dict(
        output_dir=out, num_generations=4, per_device_train_batch_size=4, max_completion_length=completion_length,
        max_steps=steps, learning_rate=1e-5, beta=1e-3, loss_type="grpo", bf16=bf16, report_to="none",
        save_strategy="no", logging_steps=1000, seed=0, temperature=1.0,
    )  # fmt: skip
    if not bf16 and not os.environ.get("ACCELERATE_USE_DEEPSPEED"):
        common["use_cpu"] = not _has_cuda()
    tokenizer = AutoTokenizer.from_pretrained(model)
    model_obj = AutoModelForCausalLM.from_pretrained(model)
    dataset = to_prompts(load_any(data), "problem", "answer")
    timer = StepTimer()
    if trainer == "trl":
        reward = CorrectnessReward(Verifier(num_workers=1))
        t = GRPOTrainer(model=model_obj, reward_funcs=[reward], args=GRPOConfig(scale_rewards="none", **common),
                        train_dataset=dataset, processing_class=tokenizer, callbacks=[timer])  # fmt: skip
        reward.eos_token_ids = list(t.eos_token_ids)
    else:
        config = EfficientReasoningConfig(length_penalty_alpha=0.2, verifier_num_workers=1, **common)
        t = EfficientReasoningGRPOTrainer(model=model_obj, args=config, train_dataset=dataset,
                                          processing_class=tokenizer, callbacks=[timer])  # fmt: skip
    t.train()
    rank = t.accelerator.process_index
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out, f"{trainer}-rank{rank}.json").write_text(json.dumps({"step_times": timer.times, "max_rss_mb": rss_mb}))


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def launch(trainer: str, args, model: str, data: str, out: str) -> dict:
    script = [
        str(Path(__file__).resolve()), "--_worker", trainer, "--model", model, "--data", data,
        "--steps", str(args.steps), "--completion_length", str(args.completion_length), "--_out", out,
    ]  # fmt: skip
    if args.bf16:
        script.append("--bf16")
    if args.processes == 1:
        cmd = [sys.executable, *script]
    else:
        cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(args.processes),
               "--multi_gpu", "--main_process_port", "29533", *script]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(cmd, check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ranks = [json.loads(p.read_text()) for p in sorted(Path(out).glob(f"{trainer}-rank*.json"))]
    warm = 2  # the first steps include one-off set-up
    step_times = [max(r["step_times"][i] for r in ranks) for i in range(warm, len(ranks[0]["step_times"]))]
    return {"median_step_s": statistics.median(step_times), "max_rss_mb": max(r["max_rss_mb"] for r in ranks)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--completion_length", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each trainer, in turns")
    parser.add_argument("--model", default=None, help="local model folder (default: build the tiny model)")
    parser.add_argument("--data", default=None, help="jsonl with problem/answer (default: the tiny arithmetic set)")
    parser.add_argument("--bf16", action="store_true", help="bf16 training (GPUs)")
    parser.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    if args._worker:
        run_one(args._worker, args.model, args.data, args.steps, args.completion_length, args._out, args.bf16)
        return {}

    with tempfile.TemporaryDirectory() as tmp:
        model, data = args.model, args.data
        if model is None or data is None:
            from efficient_reasoning.tiny import build

            built = build(Path(tmp) / "tiny")
            model = model or str(built / "model")
            data = data or str(built / "arithmetic.jsonl")
        results = {}
        for i, trainer in enumerate(("trl", "project") * args.rounds):
            out = Path(tmp) / f"{trainer}-{i}"
            out.mkdir()
            results.setdefault(trainer, []).append(launch(trainer, args, model, data, str(out)))
    trl = statistics.median(r["median_step_s"] for r in results["trl"])
    ours = statistics.median(r["median_step_s"] for r in results["project"])
    summary = {
        "processes": args.processes,
        "steps": args.steps,
        "trl_median_step_s": trl,
        "project_median_step_s": ours,
        "ratio": ours / trl,
        "trl_max_rss_mb": max(r["max_rss_mb"] for r in results["trl"]),
        "project_max_rss_mb": max(r["max_rss_mb"] for r in results["project"]),
    }
    print(f"{args.processes} process(es), {args.steps} steps, median step time after 2 warm-up steps:")
    print(f"  TRL GRPOTrainer:               {trl * 1000:8.1f} ms, peak RSS {summary['trl_max_rss_mb']:.0f} MB")
    print(f"  EfficientReasoningGRPOTrainer: {ours * 1000:8.1f} ms, peak RSS {summary['project_max_rss_mb']:.0f} MB")
    print(f"  ratio project/TRL: {summary['ratio']:.3f} (target <= 1.05)")
    return summary


if __name__ == "__main__":
    main()
