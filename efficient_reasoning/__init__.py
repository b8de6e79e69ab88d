"""efficient-reasoning: TRL recipes that train reasoning LLMs to think only as long as a problem needs."""

from .length_rewards import (
    cosine_length_reward,
    kimi_length_reward,
    l1_exact_reward,
    l1_max_reward,
    overlong_penalty_reward,
    shortest_correct_reward,
    truncation_reward,
)
from .objective import grpo_advantage, length_penalized_reward, rloo_advantage

__version__ = "0.1.0"
__all__ = [
    "EfficientReasoningConfig",
    "EfficientReasoningGRPOTrainer",
    "Verifier",
    "cosine_length_reward",
    "grpo_advantage",
    "kimi_length_reward",
    "l1_exact_reward",
    "l1_max_reward",
    "length_penalized_reward",
    "overlong_penalty_reward",
    "rloo_advantage",
    "shortest_correct_reward",
    "truncation_reward",
]


def __getattr__(name: str):
    # The trainer and config import TRL and transformers; load them on first use only.
    if name == "EfficientReasoningConfig":
        from .configs import EfficientReasoningConfig

        return EfficientReasoningConfig
    if name == "EfficientReasoningGRPOTrainer":
        from .trainer import EfficientReasoningGRPOTrainer

        return EfficientReasoningGRPOTrainer
    if name == "Verifier":
        from .verifier import Verifier

        return Verifier
    raise AttributeError(f"module 'efficient_reasoning' has no attribute {name!r}")
