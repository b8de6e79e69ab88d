"""Configs: the trainer's `EfficientReasoningConfig` and the script's data arguments."""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig, ScriptArguments

from .cli import SettingError
from .data import PAPER_PROMPT
from .length_rewards import LENGTH_REWARDS
from .objective import ADVANTAGE_ESTIMATORS
from .target_length import TARGET_TEMPLATE, check_template
from .verifier import EXTRACTIONS


@dataclass
class EfficientReasoningConfig(GRPOConfig):
    """`GRPOConfig` with the paper's length penalty (or another length reward) and advantage estimator.

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
    length_reward: str = field(
        default="paper",
        metadata={
            "help": "The length reward: 'paper' (Eq. 4, `length_penalty_alpha`), 'kimi' (Kimi k1.5, `kimi_weight`), "
            "'l1_exact' / 'l1_max' (L1, `l1_alpha`, `l1_delta`; need target lengths), 'overlong' (DAPO, "
            "`overlong_max_length`, `overlong_cache_length`), 'truncation' (DLER/ThinkPrune, `truncation_budget`), "
            "'shortest_correct' (ShorterBetter, `shorter_alpha`, `shorter_beta`), 'cosine' (Yeo et al., "
            "`cosine_max_length`), 'laser' (Laser / Laser-D, `laser_targets`, `laser_bonus`), 'dot' (DOT, "
            "`dot_alpha`, `dot_margin`). See efficient_reasoning/length_rewards.py.",
            "choices": sorted(LENGTH_REWARDS),
        },
    )
    kimi_weight: float = field(default=1.0, metadata={"help": "kimi: weight of the length reward (>= 0)."})
    l1_alpha: float = field(default=3e-4, metadata={"help": "l1_exact/l1_max: alpha per token (>= 0; L1: 3e-4)."})
    l1_delta: float = field(default=0.5, metadata={"help": "l1_max: delta, the reward at the budget (0..1)."})
    overlong_max_length: int | None = field(
        default=None, metadata={"help": "overlong: L_max in tokens (default: max_completion_length)."}
    )
    overlong_cache_length: int | None = field(
        default=None, metadata={"help": "overlong: L_cache in tokens (default: overlong_max_length / 5, as DAPO)."}
    )
    truncation_budget: int | None = field(
        default=None, metadata={"help": "truncation: responses over this many tokens get 0 (required for it)."}
    )
    shorter_alpha: float = field(default=2.0, metadata={"help": "shortest_correct: reward of a correct answer."})
    shorter_beta: float = field(
        default=1e-3, metadata={"help": "shortest_correct: penalty per token away from the shortest correct length."}
    )
    cosine_max_length: int | None = field(
        default=None, metadata={"help": "cosine: L_max in tokens (default: max_completion_length)."}
    )
    laser_targets: list[int] = field(
        default_factory=lambda: [4096],
        metadata={
            "help": "laser: the target length (Laser; 4096 as Laser-DE-L4096), or three, for prompts answered right "
            ">= 2/3, 1/3..2/3, < 1/3 of the time (Laser-D)."
        },
    )
    laser_bonus: float = field(
        default=0.5, metadata={"help": "laser: bonus of a correct answer within the target (Laser's code: 0.5)."}
    )
    dot_alpha: float = field(
        default=3.0,
        metadata={"help": "dot: std multiplier of the cut-off mean + alpha * std (DOT: 3, for its 32 samples)."},
    )
    dot_margin: int = field(
        default=32, metadata={"help": "dot: cut only responses at least this many tokens past it (DOT: 32)."}
    )
    target_length_min: int | None = field(
        default=None,
        metadata={"help": "Target-length control (L1): each prompt gets a budget drawn from [min, max] tokens."},
    )
    target_length_max: int | None = field(default=None, metadata={"help": "See `target_length_min`."})
    target_length_template: str = field(
        default=TARGET_TEMPLATE,
        metadata={"help": "How the budget is stated: `{prompt}` is the user message, `{target_length}` the budget."},
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
            "training reward) or 'paper' (the last \\boxed{}, else the stated final answer, else math-verify's pick; "
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
        default="none",
        metadata={
            "help": "'none' (the paper) or 'batch': the `advantage_estimator`'s advantages divided by the std of "
            "the whole batch's rewards (TRL's 'batch', DLER's batch-wise normalization). Per-group scaling is "
            "`advantage_estimator: grpo`."
        },
    )

    def __post_init__(self):
        # checked first: the length settings left unset are derived from it, and an error should name what was set
        if self.max_completion_length is not None and self.max_completion_length < 1:
            raise SettingError(f"max_completion_length must be >= 1 token, got {self.max_completion_length}")
        if self.length_penalty_alpha < 0 or self.length_penalty_alpha > 1:
            raise SettingError(
                f"length_penalty_alpha must lie in [0, 1] (the paper uses 0..0.4), got {self.length_penalty_alpha}"
            )
        if self.advantage_estimator not in ADVANTAGE_ESTIMATORS:
            raise SettingError(
                f"advantage_estimator must be one of {sorted(ADVANTAGE_ESTIMATORS)}, got {self.advantage_estimator!r}"
            )
        if self.scale_rewards not in ("none", "batch"):
            raise SettingError(
                f"scale_rewards must be 'none' or 'batch' (per-group scaling: advantage_estimator='grpo'), got "
                f"{self.scale_rewards!r}"
            )
        self._check_length_reward()
        if self.verifier_timeout <= 0:
            raise SettingError(f"verifier_timeout must be > 0 seconds, got {self.verifier_timeout}")
        if self.verifier_num_workers < 0:
            raise SettingError(f"verifier_num_workers must be >= 0, got {self.verifier_num_workers}")
        if self.answer_extraction not in EXTRACTIONS:
            raise SettingError(f"answer_extraction must be one of {list(EXTRACTIONS)}, got {self.answer_extraction!r}")
        if self.num_generations is not None and self.num_generations < 2:
            raise SettingError(f"num_generations must be >= 2 for a per-prompt baseline, got {self.num_generations}")
        self._resolve_device()
        super().__post_init__()
        self._resolve_lengths()

    def _resolve_device(self) -> None:
        """The precision when neither bf16 nor fp16 is set: with `use_cpu`, bf16 autocast where the CPU multiplies in
        bfloat16 (AVX512-BF16 or AMX, about 4 times float32 there); on a machine with no GPU (or other accelerator)
        float32, where TRL's default, bf16 meant for a GPU, would stop at start with "Your setup doesn't support
        bf16/gpu" (bf16 on a CPU needs `use_cpu`; setting it here would change how accelerate and DeepSpeed set up
        their processes)."""
        import torch

        if self.bf16 is not None or self.fp16:
            return
        if self.use_cpu:
            self.bf16 = cpu_has_bf16()
        elif not torch.accelerator.is_available():
            self.bf16 = False

    def _check_length_reward(self) -> None:
        if self.length_reward not in LENGTH_REWARDS:
            raise SettingError(f"length_reward must be one of {sorted(LENGTH_REWARDS)}, got {self.length_reward!r}")
        for name, low, high in (("kimi_weight", 0, None), ("l1_alpha", 0, None), ("l1_delta", 0, 1),
                                ("shorter_alpha", 0, None), ("shorter_beta", 0, None), ("laser_bonus", 0, None),
                                ("dot_alpha", 0, None), ("dot_margin", 0, None)):  # fmt: skip
            value = getattr(self, name)
            if value < low or (high is not None and value > high):
                bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
                raise SettingError(f"{name} must be {bounds}, got {value}")
        for name in ("overlong_max_length", "overlong_cache_length", "truncation_budget", "cosine_max_length"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise SettingError(f"{name} must be >= 1 token, got {getattr(self, name)}")
        if len(self.laser_targets) not in (1, 3) or min(self.laser_targets) < 1:
            raise SettingError(f"laser_targets must be 1 or 3 lengths >= 1 token, got {self.laser_targets}")
        n = self.num_generations
        if self.length_reward == "dot" and n is not None and self.dot_alpha >= (n - 1) / n**0.5:
            raise SettingError(
                f"dot_alpha={self.dot_alpha} never truncates: with num_generations={n} no response lies more than "
                f"{(n - 1) / n**0.5:.2f} std above its group's mean"
            )
        if self.length_reward == "truncation" and self.truncation_budget is None:
            raise SettingError("length_reward='truncation' needs truncation_budget (tokens)")
        if (self.target_length_min is None) != (self.target_length_max is None):
            raise SettingError("set both target_length_min and target_length_max, or neither")
        if self.target_length_min is not None and not 1 <= self.target_length_min <= self.target_length_max:
            raise SettingError(
                f"target lengths need 1 <= target_length_min <= target_length_max, got "
                f"[{self.target_length_min}, {self.target_length_max}]"
            )
        check_template(self.target_length_template)
        if LENGTH_REWARDS[self.length_reward].needs_target and self.target_length_min is None:
            raise SettingError(
                f"length_reward={self.length_reward!r} scores against a budget: set target_length_min/max"
            )

    def _resolve_lengths(self) -> None:
        """Unset maximum lengths default to `max_completion_length`, so logs and the model card state the values."""
        derived = {"overlong_max_length": self.overlong_max_length is None}
        if self.overlong_max_length is None:
            self.overlong_max_length = self.max_completion_length
        if self.cosine_max_length is None:
            self.cosine_max_length = self.max_completion_length
        if self.overlong_max_length is None:  # no max_completion_length either
            return
        if self.overlong_cache_length is None:
            self.overlong_cache_length = max(1, self.overlong_max_length // 5)
        limit = self.max_completion_length
        if self.length_reward == "laser" and limit is not None and min(self.laser_targets) >= limit:
            raise SettingError(
                f"laser_targets {self.laser_targets} reach max_completion_length={limit}: no response can pass them, "
                "so the length part of Laser's reward does nothing; set targets below max_completion_length"
            )
        if self.length_reward == "truncation" and limit is not None and self.truncation_budget >= limit:
            raise SettingError(
                f"truncation_budget={self.truncation_budget} reaches max_completion_length={limit}: no response is "
                "cut, so the reward is correctness alone; set a budget below max_completion_length"
            )
        if self.overlong_cache_length > self.overlong_max_length:
            given = "max_completion_length, which it defaults to" if derived["overlong_max_length"] else "given"
            raise SettingError(
                f"overlong_cache_length ({self.overlong_cache_length}) must be <= overlong_max_length "
                f"({self.overlong_max_length}, {given})"
            )


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX), which makes bf16 autocast pay."""
    import torch

    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


@dataclass
class DatasetArguments(ScriptArguments):
    """Where a script's training data comes from."""

    dataset_name: str | None = field(
        default=None,
        metadata={"help": "Hub dataset id, or a local .jsonl/.json/.parquet file or a `save_to_disk` folder."},
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Keep only the first N rows (>= 1)."})
    allow_settings_change: bool = field(
        default=False,
        metadata={
            "help": "Continue the run in output_dir although its recorded settings (run.json: method, model, data, "
            "seed, reward) differ from these; by default that is refused."
        },
    )

    def __post_init__(self):
        if hasattr(super(), "__post_init__"):
            super().__post_init__()
        if self.max_train_samples is not None and self.max_train_samples < 1:
            raise SettingError(f"max_train_samples must be >= 1, got {self.max_train_samples}")


@dataclass
class DataArguments(DatasetArguments):
    """Where the training prompts come from and how their columns map onto the prompt template."""

    question_column: str = field(default="problem", metadata={"help": "Column holding the question."})
    answer_column: str = field(default="answer", metadata={"help": "Column holding the gold final answer."})
    prompt_template: str = field(
        default=PAPER_PROMPT,
        metadata={"help": "User message; `{question}` is replaced (the paper's Appendix C prompt)."},
    )
    keep_unscorable_gold: bool = field(
        default=False,
        metadata={"help": "Train also on rows whose gold answer the verifier cannot parse (dropped by default)."},
    )
