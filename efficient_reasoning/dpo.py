"""The DPO baseline: prefer the shortest over the longest correct of n sampled responses per prompt.

    python -m efficient_reasoning.rejection_sampling --model_name_or_path ... --output_dir data/rs-1.5b  # the data
    accelerate launch --config_file accelerate_configs/zero2.yaml -m efficient_reasoning.dpo \\
        --config recipes/DeepSeek-R1-Distill-Qwen-1.5B/dpo/config_lr1e-5.yaml
"""

from __future__ import annotations

import sys

from trl import DPOConfig, ModelConfig

from .baselines import ShortestVsLongestDPOTrainer, run_baseline
from .cli import command
from .configs import DatasetArguments
from .utils import parse_recipe, recipe_path


def main(script_args: DatasetArguments, training_args: DPOConfig, model_args: ModelConfig, recipe: str | None = None):
    run_baseline(
        ShortestVsLongestDPOTrainer, ["prompt", "chosen", "rejected"], script_args, training_args, model_args, recipe
    )


def parse(argv: list[str] | None = None):
    return parse_recipe((DatasetArguments, DPOConfig, ModelConfig), argv, "dpo")[0]


def cli(argv: list[str] | None = None) -> None:
    main(*parse(argv), recipe=recipe_path(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    command(cli)
