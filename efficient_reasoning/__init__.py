"""efficient-reasoning: TRL recipes that train reasoning LLMs to think only as long as a problem needs."""

__version__ = "0.1.0"
__all__ = [
    "EfficientReasoningConfig",
    "EfficientReasoningGRPOTrainer",
    "Verifier",
    "cosine_length_reward",
    "dot_reward",
    "grpo_advantage",
    "kimi_length_reward",
    "l1_exact_reward",
    "l1_max_reward",
    "laser_reward",
    "length_penalized_reward",
    "overlong_penalty_reward",
    "rloo_advantage",
    "shortest_correct_reward",
    "truncation_reward",
]


def __getattr__(name: str):
    # Everything imports torch (the verifier's worker processes need none of it); load on first use only.
    if name in ("grpo_advantage", "length_penalized_reward", "rloo_advantage"):
        from . import objective

        return getattr(objective, name)
    if name.endswith("_reward"):
        from . import length_rewards

        if hasattr(length_rewards, name):
            return getattr(length_rewards, name)
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
