"""efficient-reasoning: TRL recipes that train reasoning LLMs to think only as long as a problem needs."""

__version__ = "0.1.0"
__all__ = [
    "EfficientReasoningConfig",
    "EfficientReasoningGRPOTrainer",
    "Verifier",
    "grpo_advantage",
    "length_penalized_reward",
    "rloo_advantage",
]


def __getattr__(name: str):
    # Everything imports torch (the verifier's worker processes need none of it); load on first use only.
    if name in ("grpo_advantage", "length_penalized_reward", "rloo_advantage"):
        from . import objective

        return getattr(objective, name)
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
