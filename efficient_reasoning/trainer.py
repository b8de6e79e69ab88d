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
from .generation import truncation_warning
from .length_rewards import LENGTH_REWARDS, compute_length_reward, reward_settings
from .objective import ADVANTAGE_ESTIMATORS, correctness_mask
from .rewards import CorrectnessReward
from .target_length import target_errors
from .utils import MethodModelCardMixin, reward_alpha
from .verifier import Verifier

logger = logging.getLogger(__name__)


class EfficientReasoningGRPOTrainer(MethodModelCardMixin, GRPOTrainer):
    """GRPO with the length-penalized reward of Eq. (4)-(5) and the RLOO advantage of Eq. (6).

    The dataset needs a `prompt` and an `answer` column. Three methods are overridden, because:

    - `__init__`: the reward is fixed by the method (correctness from the project's verifier), so no reward
      functions are taken; the correctness function learns the model's EOS ids here.
    - `_calculate_rewards`: TRL calls reward functions on each process's local rows, but Eq. (5) needs the lengths
      of the correct responses of a prompt's *whole* group, which may be split across processes. After TRL has
      gathered correctness, this gathers token lengths, the finished flags and any `target_length` too, and applies
      the `length_reward` the config selects (Eq. (4) by default, see `length_rewards.py`) per group.
    - `_generate_and_score_completions`: TRL's advantage is `R_i - mean_j R_j` (optionally std-scaled); the paper's
      is leave-one-out. This recomputes it from the gathered rewards (divided by their batch std with
      `scale_rewards="batch"`) and hands each process its slice.

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
        check_target_column(args, kwargs.get("train_dataset"))
        verifier = Verifier(
            timeout=args.verifier_timeout, num_workers=args.verifier_num_workers, extraction=args.answer_extraction
        )
        self.correctness = CorrectnessReward(verifier)
        if args.use_vllm and args.vllm_mode == "colocate":
            from .vllm_cpu import is_cpu_platform, keep_freed_memory, keep_plain_weights

            if is_cpu_platform():  # TRL's weight sync needs the plain weights there
                keep_plain_weights()
                keep_freed_memory()
        super().__init__(model, reward_funcs=[self.correctness], args=args, **kwargs)
        self.correctness.eos_token_ids = list(self.eos_token_ids)
        self.correctness.pad_token_id = self._tokenizer.pad_token_id
        self.last_group_scores: dict[str, torch.Tensor] = {}
        self.add_callback(MethodSettingsCallback())

    model_card_title = "Length-penalized RL"

    def model_card_details(self) -> dict:
        return {
            **reward_settings(self.args),  # the selected reward's parameters only (paper: length_penalty_alpha)
            **target_settings(self.args),
            "advantage_estimator": self.args.advantage_estimator,
            "scale_rewards": self.args.scale_rewards,
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
        targets = [float(x.get("target_length") or "nan") for x in inputs]  # NaN: no budget stated
        local = [[n, float(done), t] for n, done, t in zip(lengths, finished, targets)]
        local = torch.tensor(local, dtype=torch.float32, device=device)
        lengths, finished, targets = gather(local).unbind(dim=1)
        mode = "train" if self.model.training else "eval"
        num_generations = self.num_generations if mode == "train" else self.num_generations_eval
        alpha = reward_alpha(self.args)  # the selected reward's alpha, logged as efficiency/alpha; None: it has none
        alpha = None if alpha is None else alpha[1]
        # A truncated response is incorrect whatever it contains, also if a custom verifier said otherwise.
        correct = torch.where(finished.bool(), correct, torch.zeros_like(correct))
        has_target = not torch.isnan(targets).any()
        if LENGTH_REWARDS[self.args.length_reward].needs_target and not has_target:
            raise ValueError(f"length_reward={self.args.length_reward!r}: a batch row has no `target_length`")
        rewards = compute_length_reward(
            self.args,
            correct.view(-1, num_generations),
            lengths.view(-1, num_generations),
            targets.view(-1, num_generations) if has_target else None,
        ).view(-1)
        self.last_group_scores = {"correct": correct, "lengths": lengths, "finished": finished, "rewards": rewards}
        self._log_group_metrics(mode, correct, lengths, finished, rewards, alpha)
        truncated = 1.0 - finished.mean().item()
        warning = truncation_warning(f"step {self.state.global_step + 1}", truncated,
                                     f"max_completion_length={self.max_completion_length} (reward 0)",
                                     self._tokenizer, self.eos_token_ids)  # fmt: skip
        if warning and self.accelerator.is_main_process:
            logger.warning(warning)
        if has_target:
            self.last_group_scores["target_lengths"] = targets
            self._log_target_metrics(mode, lengths, targets)
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
        if alpha is not None:
            metrics["efficiency/alpha"].append(alpha)

    def _log_target_metrics(self, mode, lengths, targets) -> None:
        """How far the used tokens land from the budgets the prompts state (target-length control)."""
        errors = target_errors(lengths.tolist(), targets.tolist())
        metrics = self._metrics[mode]
        metrics["efficiency/target_tokens"].append(targets.mean().item())
        metrics["efficiency/target_abs_error"].append(errors["mean_abs_error"])
        metrics["efficiency/target_rel_error"].append(errors["mean_rel_error"])

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        rewards = self.last_group_scores["rewards"]
        num_generations = self.num_generations if self.model.training else self.num_generations_eval
        if num_generations < 2:  # evaluation with one sample per prompt: no baseline, no policy gradient
            advantages = torch.zeros_like(rewards)
        else:
            estimator = ADVANTAGE_ESTIMATORS[self.args.advantage_estimator]
            advantages = estimator(rewards.view(-1, num_generations)).view(-1)
            if self.args.scale_rewards == "batch":  # as TRL's 'batch': the std of the whole gathered batch's rewards
                advantages = advantages / (rewards.std() + 1e-4)
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
                **reward_settings(args),
                **target_settings(args),
                "advantage_estimator": args.advantage_estimator,
                "scale_rewards": args.scale_rewards,
                "epsilon_high": args.epsilon_high,
                "beta": args.beta,
                "num_generations": args.num_generations,
                "max_completion_length": args.max_completion_length,
            }
            Path(args.output_dir).mkdir(parents=True, exist_ok=True)
            (Path(args.output_dir) / METHOD_FILE).write_text(json.dumps(settings, indent=2))


def target_settings(args) -> dict:
    """The target-length range and template, when the prompts state a budget."""
    if args.target_length_min is None:
        return {}
    return {
        "target_length_range": [args.target_length_min, args.target_length_max],
        "target_length_template": args.target_length_template,
    }


def check_target_column(args: EfficientReasoningConfig, dataset) -> None:
    """A reward scored against a budget needs the budget per prompt: fail at start, not at the first step."""
    if not LENGTH_REWARDS[args.length_reward].needs_target or dataset is None:
        return
    columns = getattr(dataset, "column_names", None)
    if columns is not None and "target_length" not in columns:
        raise ValueError(
            f"length_reward={args.length_reward!r} needs a `target_length` column in train_dataset (columns: "
            f"{columns}); efficient_reasoning.target_length.add_target_lengths adds it and states it in the prompt"
        )
