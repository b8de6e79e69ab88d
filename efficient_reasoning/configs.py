"""Configs: the trainer's `EfficientReasoningConfig` and the script's data arguments."""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig, ScriptArguments

from .objective import ADVANTAGE_ESTIMATORS
from .verifier import EXTRACTIONS


@dataclass
class EfficientReasoningConfig(GRPOConfig):
    """`GRPOConfig` with the paper's length penalty and advantage estimator.

    Defaults that differ from TRL follow the paper: `beta=1e-3` (KL coefficient), `loss_type="grpo"` (token mean per
    sequence, then mean over sequences, as in the authors' PPO loss), `scale_rewards="none"`.
    """

    length_penalty_alpha: float = field(
        default=0.0,
        metadata={"help": "alpha of Eq. (4): 0 trains for accuracy only, larger values shorten reasoning (0..1)."},
    )
    advantage_estimator: str = field(
        default="rloo",
        metadata={
            "help": "'rloo' (the paper: leave-one-out baseline, no std scaling) or 'grpo' (std-scaled, the "
            "ablation of Section 5.4).",
            "choices": sorted(ADVANTAGE_ESTIMATORS),
        },
    )
    verifier_timeout: float = field(
        default=1.0,
        metadata={"help": "Seconds of CPU time at most per answer check; one that runs out counts as incorrect."},
    )
    verifier_num_workers: int = field(
        default=2, metadata={"help": "Worker processes per training process for answer checking (0: inline)."}
    )
    answer_extraction: str = field(
        default="boxed",
        metadata={
            "help": "How the reward reads a completion's answer: 'boxed' (the last \\boxed{}, as the authors' "
            "training reward) or 'paper' (the last \\boxed{}, else the stated final answer, else the last number; "
            "the authors' evaluation grader).",
            "choices": ["boxed", "paper"],
        },
    )
    expected_global_batch_size: int | None = field(
        default=None,
        metadata={
            "help": "The global batch (processes x per-device batch x accumulation) the recipe is written for; the "
            "script warns at start when the launch gives another (e.g. a wrong --num_processes)."
        },
    )
    beta: float = field(default=1e-3, metadata={"help": "KL coefficient (the paper: 1e-3)."})
    loss_type: str = field(default="grpo", metadata={"help": "See `GRPOConfig.loss_type`; 'grpo' is the paper's."})
    scale_rewards: str = field(
        default="none", metadata={"help": "Unused: advantages come from `advantage_estimator`."}
    )

    def __post_init__(self):
        if self.length_penalty_alpha < 0 or self.length_penalty_alpha > 1:
            raise ValueError(
                f"length_penalty_alpha must lie in [0, 1] (the paper uses 0..0.4), got {self.length_penalty_alpha}"
            )
        if self.advantage_estimator not in ADVANTAGE_ESTIMATORS:
            raise ValueError(
                f"advantage_estimator must be one of {sorted(ADVANTAGE_ESTIMATORS)}, got {self.advantage_estimator!r}"
            )
        if self.verifier_timeout <= 0:
            raise ValueError(f"verifier_timeout must be > 0 seconds, got {self.verifier_timeout}")
        if self.verifier_num_workers < 0:
            raise ValueError(f"verifier_num_workers must be >= 0, got {self.verifier_num_workers}")
        if self.answer_extraction not in EXTRACTIONS:
            raise ValueError(f"answer_extraction must be one of {list(EXTRACTIONS)}, got {self.answer_extraction!r}")
        if self.num_generations is not None and self.num_generations < 2:
            raise ValueError(f"num_generations must be >= 2 for a per-prompt baseline, got {self.num_generations}")
        super().__post_init__()


@dataclass
class DatasetArguments(ScriptArguments):
    """Where a script's training data comes from."""

    dataset_name: str | None = field(
        default=None,
        metadata={"help": "Hub dataset id, or a local .jsonl/.json/.parquet file or a `save_to_disk` folder."},
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Keep only the first N rows."})


@dataclass
class DataArguments(DatasetArguments):
    """Where the training prompts come from and how their columns map onto the prompt template."""

    question_column: str = field(default="problem", metadata={"help": "Column holding the question."})
    answer_column: str = field(default="answer", metadata={"help": "Column holding the gold final answer."})
    prompt_template: str = field(
        default="Please reason step by step, and put your final answer within \\boxed{}. Question: {question}",
        metadata={"help": "User message; `{question}` is replaced (the paper's Appendix C prompt)."},
    )
    keep_unscorable_gold: bool = field(
        default=False,
        metadata={"help": "Train also on rows whose gold answer the verifier cannot parse (dropped by default)."},
    )
