"""Train a model to reason efficiently: GRPO-style RL with the length-penalized reward and RLOO advantage.

    accelerate launch --config_file accelerate_configs/zero2.yaml -m efficient_reasoning.grpo \\
        --config recipes/DeepSeek-R1-Distill-Qwen-1.5B/grpo/config.yaml --length_penalty_alpha 0.1

`{alpha}` in `output_dir`, `run_name` and `hub_model_id` is replaced by the run's alpha.
"""

from __future__ import annotations

import logging
import sys

import datasets
import transformers
from transformers import set_seed
from trl import ModelConfig, TrlParser, get_peft_config

from .configs import DataArguments, EfficientReasoningConfig
from .data import load_any, to_prompts
from .trainer import EfficientReasoningGRPOTrainer
from .utils import fill_alpha, last_checkpoint, load_model, load_tokenizer, recipe_path

logger = logging.getLogger(__name__)


def load_train_dataset(script_args: DataArguments):
    if not script_args.dataset_name:
        raise ValueError("dataset_name is required: a Hub dataset id or a local file/folder")
    raw = load_any(script_args.dataset_name, script_args.dataset_config, script_args.dataset_train_split)
    if script_args.max_train_samples is not None:
        raw = raw.select(range(min(script_args.max_train_samples, len(raw))))
    return to_prompts(
        raw,
        script_args.question_column,
        script_args.answer_column,
        script_args.prompt_template,
        where=script_args.dataset_name,
    )


def main(
    script_args: DataArguments,
    training_args: EfficientReasoningConfig,
    model_args: ModelConfig,
    recipe: str | None = None,
) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    datasets.utils.logging.set_verbosity_warning()
    transformers.utils.logging.set_verbosity_warning()
    set_seed(training_args.seed)
    fill_alpha(training_args, training_args.length_penalty_alpha)

    # Data first: a bad dataset fails before a model is downloaded.
    train_dataset = load_train_dataset(script_args)
    logger.info("%d training prompts from %s", len(train_dataset), script_args.dataset_name)

    tokenizer = load_tokenizer(model_args, training_args)
    model = load_model(model_args, training_args)
    trainer = EfficientReasoningGRPOTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        processing_class=tokenizer,
        peft_config=get_peft_config(model_args),
    )

    trainer.recipe = recipe
    checkpoint = last_checkpoint(training_args)
    train_result = trainer.train(resume_from_checkpoint=checkpoint)
    trainer.log_metrics("train", train_result.metrics)
    trainer.save_metrics("train", train_result.metrics)
    trainer.save_state()

    trainer.save_model(training_args.output_dir)
    logger.info("Model saved to %s", training_args.output_dir)
    trainer.create_model_card(model_name=training_args.run_name, dataset_name=script_args.dataset_name)
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=script_args.dataset_name)


def parse(argv: list[str] | None = None):
    parser = TrlParser((DataArguments, EfficientReasoningConfig, ModelConfig))
    return parser.parse_args_and_config(args=argv)


if __name__ == "__main__":
    main(*parse(sys.argv[1:]), recipe=recipe_path(sys.argv[1:]))
