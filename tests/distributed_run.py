"""A few GRPO steps under `accelerate launch`, recording what every rank used.

Launched by tests/test_distributed.py (and tests/test_vllm_training.py, with `--vllm`). `--runs` trains one run
after another in the same launch (`ESTIMATOR:REWARD[:MAX_COMPLETION_LENGTH]`, each in
`OUTPUT_DIR/ESTIMATOR-REWARD`), as the start of the processes costs more than a run. Each rank writes `rank{N}.json`
with, per step, the gathered completions, token ids and gold answers it saw, the advantages it trained on and, with
vLLM, how far the engine's sampling log-probabilities were from the trained model's. Correctness here is a
deterministic rule of the completion text (an even number of characters), so any model's completions give a mix of
correct and incorrect responses; in a `dot` run every finished response is correct, so that groups are all correct
and DOT's cut applies. `--verifier real` keeps the project's verifier (a real model's step, tests/test_real_model.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

from accelerate.utils import gather_object
from transformers import AutoModelForCausalLM, AutoTokenizer

from efficient_reasoning.configs import EfficientReasoningConfig
from efficient_reasoning.data import PAPER_PROMPT, load_any, to_prompts
from efficient_reasoning.rewards import completion_text
from efficient_reasoning.trainer import EfficientReasoningGRPOTrainer


class EvenLengthVerifier:
    def __call__(self, completions, golds, finished):
        return [float(done and len(text) % 2 == 0) for text, done in zip(completions, finished)]


class AllCorrectVerifier:
    def __call__(self, completions, golds, finished):
        return [1.0] * len(completions)


class RecordingTrainer(EfficientReasoningGRPOTrainer):
    def __init__(self, *args, verifier: str = "even", **kwargs):
        super().__init__(*args, **kwargs)
        if verifier == "even":
            dot = self.args.length_reward == "dot"
            self.correctness.verifier = AllCorrectVerifier() if dot else EvenLengthVerifier()
        self.records = []

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        self.records.append(
            {
                "prompts": gather_object([p[-1]["content"] for p in prompts]),
                "completions": gather_object([completion_text(c) for c in completions]),
                "completion_ids": gather_object([list(map(int, ids)) for ids in completion_ids_list]),
                "golds": gather_object([x["answer"] for x in inputs]),
                "num_local": len(inputs),
            }
        )
        return super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        self.records[-1]["advantages"] = output["advantages"].tolist()
        self.records[-1]["finished"] = self.last_group_scores["finished"].tolist()
        self.records[-1]["correct"] = self.last_group_scores["correct"].tolist()
        self.records[-1]["process_index"] = self.accelerator.process_index
        return output


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--alpha", type=float, default=0.2)
    parser.add_argument("--runs", nargs="+", default=["rloo:paper"], metavar="ESTIMATOR:REWARD[:LENGTH]")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--max_completion_length", type=int, default=16)
    parser.add_argument("--prompt_template", default=PAPER_PROMPT)
    parser.add_argument("--vllm", action="store_true", help="generate with vLLM colocated (its CPU build)")
    parser.add_argument("--verifier", choices=["even", "real"], default="even")
    parser.add_argument("--num_generations", type=int, default=8)
    parser.add_argument("--per_device_train_batch_size", type=int, default=4)  # 4 of a group's 8 on each of 2 ranks
    args = parser.parse_args()

    for run in args.runs:
        estimator, reward, *length = run.split(":")
        length = int(length[0]) if length else args.max_completion_length
        train(args, estimator, reward, length, Path(args.output_dir) / f"{estimator}-{reward}")


def train(args: argparse.Namespace, estimator: str, reward: str, max_completion_length: int, out: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model)
    if args.vllm:
        generation = {"use_vllm": True, "vllm_mode": "colocate", "vllm_enable_sleep_mode": False,
                      "vllm_max_model_length": 512}  # fmt: skip
    elif args.verifier == "even":  # make EOS likely for a random-weight model: finished and truncated responses occur
        generation = {"generation_kwargs": {"sequence_bias": [[[tokenizer.eos_token_id], 3.0]]}}
    else:
        generation = {}
    config = EfficientReasoningConfig(
        output_dir=str(out),
        length_penalty_alpha=args.alpha,
        length_reward=reward,
        kimi_weight=0.5,
        laser_targets=[6, 10, 14],  # Laser-D (tests/test_distributed.py's LASER_TARGETS)
        laser_bonus=0.5,
        dot_alpha=0.5,  # DOT, low enough for 8 samples of at most 16 tokens to have outliers
        dot_margin=1,
        advantage_estimator=estimator,
        num_generations=args.num_generations,
        per_device_train_batch_size=args.per_device_train_batch_size,
        max_completion_length=max_completion_length,
        max_steps=args.steps,
        learning_rate=1e-4,
        bf16=False,
        ddp_backend="gloo" if "WORLD_SIZE" in os.environ else None,  # launched, or one plain process
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        seed=0,
        **generation,
    )
    dataset = to_prompts(load_any(args.data), "problem", "answer", template=args.prompt_template)
    trainer = RecordingTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer,
                               verifier=args.verifier)  # fmt: skip
    trainer.train()
    trainer.create_model_card(model_name=out.name)  # README.md, written by the main process only
    rank = trainer.accelerator.process_index
    logged = [h for h in trainer.state.log_history if "sampling/sampling_logp_difference/mean" in h]
    records = [
        {**r, "eos_token_ids": trainer.eos_token_ids, "pad_token_id": tokenizer.pad_token_id, "alpha": args.alpha,
         "logp_difference": logged[i]["sampling/sampling_logp_difference/mean"] if i < len(logged) else None}
        for i, r in enumerate(trainer.records)
    ]  # fmt: skip
    path = out / f"rank{rank}.json"
    path.write_text(json.dumps(records, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x))


if __name__ == "__main__":
    main()
