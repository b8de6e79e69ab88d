"""The rejection-sampling SFT baseline: fine-tune on the shortest correct of n sampled responses per prompt.

    python -m efficient_reasoning.rejection_sampling --model_name_or_path ... --output_dir data/rs-1.5b  # the data
    accelerate launch --config_file accelerate_configs/zero2.yaml -m efficient_reasoning.sft \\
        --config recipes/DeepSeek-R1-Distill-Qwen-1.5B/sft/config_lr5e-6.yaml
"""

from __future__ import annotations

import sys

from trl import ModelConfig, SFTConfig

from .baselines import RejectionSamplingSFTTrainer, run_baseline
from .cli import command
from .configs import DatasetArguments
from .utils import parse_recipe, recipe_path


def main(script_args: DatasetArguments, training_args: SFTConfig, model_args: ModelConfig, recipe: str | None = None):
    run_baseline(RejectionSamplingSFTTrainer, ["prompt", "completion"], script_args, training_args, model_args, recipe)


def parse(argv: list[str] | None = None):
    return parse_recipe((DatasetArguments, SFTConfig, ModelConfig), argv, "sft")[0]


def cli(argv: list[str] | None = None) -> None:
    main(*parse(argv), recipe=recipe_path(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    command(cli)
