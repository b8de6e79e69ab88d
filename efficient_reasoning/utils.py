"""Helpers shared by the training scripts: alpha-templated names, checkpoints, model loading, model cards."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.trainer_utils import get_last_checkpoint

logger = logging.getLogger(__name__)

NAME_FIELDS = ("output_dir", "run_name", "hub_model_id")


def fill_alpha(training_args, alpha: float) -> None:
    """Replace `{alpha}` in the run's output dir, run name and Hub id, so one recipe serves the whole family."""
    for name in NAME_FIELDS:
        value = getattr(training_args, name, None)
        if isinstance(value, str) and "{alpha}" in value:
            setattr(training_args, name, value.replace("{alpha}", f"{alpha:g}"))


def fill_reward_names(training_args) -> None:
    """Replace `{length_reward}`, `{reward}` (the reward and its arguments, e.g. `kimi-weight1`) and any `{FIELD}`
    of the selected reward's config fields in the run's output dir, run name and Hub id."""
    from .length_rewards import LENGTH_REWARDS, reward_settings

    def text(value) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)

    name = training_args.length_reward
    values = {key: text(value) for key, value in reward_settings(training_args).items()}
    arguments = LENGTH_REWARDS[name].parameters.items()
    values["reward"] = "-".join([name] + [f"{arg}{values[field]}" for arg, field in arguments])
    for field_name in NAME_FIELDS:
        value = getattr(training_args, field_name, None)
        if isinstance(value, str):
            for key, filled in values.items():
                value = value.replace("{" + key + "}", filled)
            setattr(training_args, field_name, value)


def last_checkpoint(training_args) -> str | None:
    """The checkpoint to resume from: the one given, else the last one in `output_dir`, else None."""
    if training_args.resume_from_checkpoint:
        return training_args.resume_from_checkpoint
    if os.path.isdir(training_args.output_dir):
        checkpoint = get_last_checkpoint(training_args.output_dir)
        if checkpoint is not None:
            logger.info("Resuming from %s", checkpoint)
        return checkpoint
    return None


def load_tokenizer(model_args, training_args):
    tokenizer = AutoTokenizer.from_pretrained(
        model_args.model_name_or_path,
        revision=model_args.model_revision,
        trust_remote_code=getattr(training_args, "trust_remote_code", False),
    )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(model_args, training_args):
    dtype = model_args.dtype if model_args.dtype in (None, "auto") else getattr(torch, model_args.dtype)
    return AutoModelForCausalLM.from_pretrained(
        model_args.model_name_or_path,
        revision=model_args.model_revision,
        trust_remote_code=getattr(training_args, "trust_remote_code", False),
        attn_implementation=model_args.attn_implementation,
        dtype=dtype,
        use_cache=not training_args.gradient_checkpointing,
    )


class MethodModelCardMixin:
    """Adds a section with the method's settings and the resolved run config to TRL's model card, on save and on
    push alike (both go through `create_model_card`)."""

    model_card_title = "Training details"
    recipe: str | None = None  # the recipe file the run was launched with, stated in the card

    def model_card_details(self) -> dict:
        return {}

    def create_model_card(self, *args, **kwargs):
        kwargs.setdefault("tags", ["efficient-reasoning"])
        super().create_model_card(*args, **kwargs)
        if not self.is_world_process_zero():
            return
        details = {**self.model_card_details(), "recipe": self.recipe or "(none: arguments only)"}
        settings = "\n".join(f"- {key}: `{value}`" for key, value in details.items())
        config = {k: v for k, v in self.args.to_dict().items() if not k.startswith("_") and "token" not in k}
        section = (
            f'\n## {self.model_card_title}\n\nTrained with efficient-reasoning (Arora & Zanette, "Training Language '
            f'Models to Reason Efficiently", 2025).\n\n{settings}\n\n<details><summary>Run config</summary>\n\n'
            f"```yaml\n{yaml.safe_dump(config, sort_keys=True)}```\n\n</details>\n"
        )
        card = Path(self.args.output_dir) / "README.md"
        card.write_text((card.read_text() if card.exists() else "") + section)


def recipe_path(argv: list[str]) -> str | None:
    """The value of `--config` in a script's arguments."""
    return argv[argv.index("--config") + 1] if "--config" in argv[:-1] else None


def train_and_save(trainer, training_args, dataset_name: str | None, recipe: str | None) -> None:
    """The scripts' common tail: resume from the last checkpoint, train, save, write the model card, push."""
    trainer.recipe = recipe
    train_result = trainer.train(resume_from_checkpoint=last_checkpoint(training_args))
    trainer.log_metrics("train", train_result.metrics)
    trainer.save_metrics("train", train_result.metrics)
    trainer.save_state()
    trainer.save_model(training_args.output_dir)
    logger.info("Model saved to %s", training_args.output_dir)
    trainer.create_model_card(model_name=training_args.run_name, dataset_name=dataset_name)
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=dataset_name)


def setup_logging() -> None:
    import datasets
    import transformers

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    datasets.utils.logging.set_verbosity_warning()
    transformers.utils.logging.set_verbosity_warning()
