"""`EfficientReasoningGRPOTrainer`: TRL's GRPO trainer with the paper's reward and advantage."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from accelerate.utils import gather
from transformers import TrainerCallback
from trl import GRPOTrainer

from .configs import EfficientReasoningConfig
from .dynamics import METHOD_FILE
from .objective import ADVANTAGE_ESTIMATORS, correctness_mask, length_penalized_reward
from .rewards import CorrectnessReward
from .utils import MethodModelCardMixin
from .verifier import Verifier

logger = logging.getLogger(__name__)


class EfficientReasoningGRPOTrainer(MethodModelCardMixin, GRPOTrainer):
    """GRPO with the length-penalized reward of Eq. (4)-(5) and the RLOO advantage of Eq. (6).

    The dataset needs a `prompt` and an `answer` column. Three methods are overridden, because:

    - `__init__`: the reward is fixed by the method (correctness from the project's verifier), so no reward
      functions are taken; the correctness function learns the model's EOS ids here.
    - `_calculate_rewards`: TRL calls reward functions on each process's local rows, but Eq. (5) needs the lengths
      of the correct responses of a prompt's *whole* group, which may be split across processes. After TRL has
      gathered correctness, this gathers token lengths and the finished flags too, and applies Eq. (4) per group.
    - `_generate_and_score_completions`: TRL's advantage is `R_i - mean_j R_j` (optionally std-scaled); the paper's
      is leave-one-out. This recomputes it from the gathered rewards and hands each process its slice.

    `create_model_card` (from `MethodModelCardMixin`) adds alpha, the estimator and the recipe to TRL's card.
    The last batch's gathered group scores are kept in `self.last_group_scores` (for inspection and tests).
    """

    def __init__(self, model, args: EfficientReasoningConfig | None = None, **kwargs):
        if args is None:
            args = EfficientReasoningConfig("efficient-reasoning-grpo")
        if not isinstance(args, EfficientReasoningConfig):
            raise TypeError(f"`args` must be an EfficientReasoningConfig, got {type(args).__name__}")
        if "reward_funcs" in kwargs:
            raise TypeError("EfficientReasoningGRPOTrainer computes its own reward; do not pass `reward_funcs`")
        verifier = Verifier(
            timeout=args.verifier_timeout, num_workers=args.verifier_num_workers, extraction=args.answer_extraction
        )
        self.correctness = CorrectnessReward(verifier)
        super().__init__(model, reward_funcs=[self.correctness], args=args, **kwargs)
        self.correctness.eos_token_ids = list(self.eos_token_ids)
        self.correctness.pad_token_id = self._tokenizer.pad_token_id
        self.last_group_scores: dict[str, torch.Tensor] = {}
        self.add_callback(MethodSettingsCallback())

    model_card_title = "Length-penalized RL"

    def model_card_details(self) -> dict:
        return {
            "length_penalty_alpha": self.args.length_penalty_alpha,
            "advantage_estimator": self.args.advantage_estimator,
            "num_generations": self.num_generations,
            "beta (KL)": self.args.beta,
            "answer_extraction": self.args.answer_extraction,
        }

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        correct = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)[:, 0]
        device = correct.device
        # Finished-ness as TRL decides it; lengths without the padding after a custom stop id.
        finished = self.correctness.finished(completion_ids_list)
        lengths = self.correctness.lengths(completion_ids_list)
        local = [[n, float(done)] for n, done in zip(lengths, finished)]
        local = torch.tensor(local, dtype=torch.float32, device=device)
        lengths, finished = gather(local).unbind(dim=1)
        mode = "train" if self.model.training else "eval"
        num_generations = self.num_generations if mode == "train" else self.num_generations_eval
        alpha = self.args.length_penalty_alpha
        # A truncated response is incorrect whatever it contains, also if a custom verifier said otherwise.
        correct = torch.where(finished.bool(), correct, torch.zeros_like(correct))
        rewards = length_penalized_reward(
            correct.view(-1, num_generations), lengths.view(-1, num_generations), alpha
        ).view(-1)
        self.last_group_scores = {"correct": correct, "lengths": lengths, "finished": finished, "rewards": rewards}
        self._log_group_metrics(mode, correct, lengths, finished, rewards, alpha)
        if not finished.any() and self.accelerator.is_main_process:
            logger.warning(
                "step %d: all %d completions hit max_completion_length=%d without EOS (reward 0, nothing to learn); "
                "raise max_completion_length", self.state.global_step, len(finished), self.max_completion_length
            )  # fmt: skip
        return rewards.unsqueeze(1)

    def _log_group_metrics(self, mode, correct, lengths, finished, rewards, alpha) -> None:
        is_correct = correctness_mask(correct)
        metrics = self._metrics[mode]
        metrics["efficiency/accuracy"].append(is_correct.float().mean().item())
        metrics["efficiency/tokens_all"].append(lengths.mean().item())
        if is_correct.any():  # absent, not zero, when no completion was correct
            metrics["efficiency/tokens_correct"].append(lengths[is_correct].mean().item())
        metrics["efficiency/truncated_frac"].append(1.0 - finished.mean().item())
        # checks that timed out or crashed (NaN, scored as incorrect): a rising value means the bound is too tight
        metrics["efficiency/unscorable_frac"].append(correct.float().isnan().float().mean().item())
        metrics["efficiency/reward"].append(rewards.mean().item())
        metrics["efficiency/alpha"].append(alpha)

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        rewards = self.last_group_scores["rewards"]
        num_generations = self.num_generations if self.model.training else self.num_generations_eval
        if num_generations < 2:  # evaluation with one sample per prompt: no baseline, no policy gradient
            advantages = torch.zeros_like(rewards)
        else:
            estimator = ADVANTAGE_ESTIMATORS[self.args.advantage_estimator]
            advantages = estimator(rewards.view(-1, num_generations)).view(-1)
        self.last_group_scores["advantages"] = advantages
        num_local = len(inputs)
        start = self.accelerator.process_index * num_local
        output["advantages"] = advantages[start : start + num_local].to(output["advantages"].device)
        # TRL logged its own advantages for the completions table; log the ones actually used.
        logged = self._logs["advantages"]
        for _ in range(min(len(advantages), len(logged))):
            logged.pop()
        logged.extend(advantages.tolist())
        return output


class MethodSettingsCallback(TrainerCallback):
    """Writes the method's settings to `OUTPUT_DIR/efficient_reasoning.json` when training starts, so tools that
    read a run's logged history (`efficient_reasoning.plot --runs`) can label it before the model card exists."""

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            settings = {
                "length_penalty_alpha": args.length_penalty_alpha,
                "advantage_estimator": args.advantage_estimator,
                "beta": args.beta,
                "num_generations": args.num_generations,
                "max_completion_length": args.max_completion_length,
            }
            Path(args.output_dir).mkdir(parents=True, exist_ok=True)
            (Path(args.output_dir) / METHOD_FILE).write_text(json.dumps(settings, indent=2))
