"""Helpers shared by the training scripts: alpha-templated names, checkpoints, model loading, model cards."""

from __future__ import annotations

import json
import logging
import os
import sys
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
        if isinstance(value, list | tuple):  # e.g. Laser-D's three targets: 4096_8192_16384
            return "_".join(text(v) for v in value)
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


def check_model_path(name: str, option: str = "model_name_or_path") -> None:
    """Fail with one line when `name` is written as a local path (absolute, relative with `./`, `../` or `~`, or
    with more than one `/`, which no Hub id has) and no such folder exists; the Hub client would only say that
    the repo id is malformed."""
    path = Path(name).expanduser()
    looks_local = name.startswith(("/", "./", "../", "~", ".\\")) or name.count("/") > 1 or "\\" in name
    if looks_local and not path.exists():
        raise FileNotFoundError(f"{option}: local model folder {name!r} does not exist")
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{option}: {name!r} is a file; give the model's folder")


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
    """Adds a section with the method's settings, the base model, the data and the resolved run config to TRL's
    model card, on save and on push alike (both go through `create_model_card`)."""

    model_card_title = "Training details"
    recipe: str | None = None  # the recipe file the run was launched with, stated in the card
    card_data: dict | None = None  # base model, dataset, columns, prompt template (set by the scripts)

    def model_card_details(self) -> dict:
        return {}

    def create_model_card(self, model_name=None, dataset_name=None, tags=None, **kwargs):
        data = dict(self.card_data or {})
        base_model = data.get("base model")
        # TRL links the dataset to the Hub and leaves out a local base model; give it Hub ids only.
        hub_dataset = dataset_name if dataset_name and not Path(dataset_name).exists() else None
        super().create_model_card(
            model_name=model_name, dataset_name=hub_dataset, tags=tags or ["efficient-reasoning"]
        )
        if not self.is_world_process_zero():
            return
        card = Path(self.args.output_dir) / "README.md"
        text = card.read_text() if card.exists() else ""
        if base_model:
            local = Path(base_model).exists()
            named = (
                f"`{base_model}` (a local folder)" if local else f"[{base_model}](https://huggingface.co/{base_model})"
            )
            text = text.replace("[None](https://huggingface.co/None)", named)
        details = {**data, **self.model_card_details(), "recipe": self.recipe or "(none: arguments only)"}
        settings = "\n".join(f"- {key}: `{value}`" for key, value in details.items())
        config = {k: v for k, v in self.args.to_dict().items() if not k.startswith("_") and "token" not in k}
        section = (
            f'\n## {self.model_card_title}\n\nTrained with efficient-reasoning (Arora & Zanette, "Training Language '
            f'Models to Reason Efficiently", 2025).\n\n{settings}\n\n<details><summary>Run config</summary>\n\n'
            f"```yaml\n{yaml.safe_dump(config, sort_keys=True)}```\n\n</details>\n"
        )
        card.write_text(text + section)


def config_args(argv: list[str] | None) -> list[str]:
    """A script's arguments with `--config=PATH` split into `--config PATH`, which `TrlParser` alone reads."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out: list[str] = []
    for arg in argv:
        out.extend(["--config", arg.split("=", 1)[1]] if arg.startswith("--config=") else [arg])
    return out


def recipe_path(argv: list[str]) -> str | None:
    """The value of `--config` in a script's arguments (`--config PATH` or `--config=PATH`)."""
    argv = config_args(argv)
    return argv[argv.index("--config") + 1] if "--config" in argv[:-1] else None


def check_hub_access(token: str | None = None, what: str = "push_to_hub") -> None:
    """Fail in one line, before any model loads, when the Hub cannot be reached or no token is set."""
    from huggingface_hub import HfApi

    try:
        HfApi().whoami(token=token)
    except Exception as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RuntimeError(
            f"{what}: cannot reach the Hugging Face Hub with a valid token ({type(e).__name__}: {reason}); "
            "run `huggingface-cli login`, check the network, or leave push_to_hub off"
        ) from None


def finished_run(training_args) -> int | None:
    """The step a `max_steps` run already finished at in `output_dir` (its final `trainer_state.json` is saved at
    the end of training, next to the model), or None when the run is new, interrupted or asked to go further."""
    state_file = Path(training_args.output_dir) / "trainer_state.json"
    if training_args.max_steps <= 0 or not state_file.exists():
        return None
    step = json.loads(state_file.read_text()).get("global_step", 0)
    return step if step >= training_args.max_steps else None


def train_and_save(trainer, training_args, dataset_name: str | None, recipe: str | None) -> None:
    """The scripts' common tail: resume from the last checkpoint, train, save, write the model card, push.
    A finished run (see `finished_run`) is left as it is."""
    done = finished_run(training_args)
    if done is not None:
        logger.warning(
            "%s already finished %d of max_steps=%d; nothing to do (raise --max_steps to train further, or use "
            "another output_dir)",
            training_args.output_dir,
            done,
            training_args.max_steps,
        )
        return
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
