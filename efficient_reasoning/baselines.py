"""TRL's SFT and DPO trainers for the paper's baselines (Section 5.2), with the project's model card."""

from __future__ import annotations

import logging

from trl import DPOTrainer, SFTTrainer

from .utils import MethodModelCardMixin

logger = logging.getLogger(__name__)


class RejectionSamplingSFTTrainer(MethodModelCardMixin, SFTTrainer):
    """`SFTTrainer` on the shortest correct response per prompt. Only `create_model_card` is extended (mixin)."""

    model_card_title = "Rejection-sampling SFT baseline (shortest correct response)"

    def model_card_details(self) -> dict:
        return {"learning_rate": self.args.learning_rate, "num_train_epochs": self.args.num_train_epochs}


class ShortestVsLongestDPOTrainer(MethodModelCardMixin, DPOTrainer):
    """`DPOTrainer` on (shortest correct, longest correct) pairs. Only `create_model_card` is extended (mixin)."""

    model_card_title = "DPO baseline (shortest vs longest correct response)"

    def model_card_details(self) -> dict:
        return {"learning_rate": self.args.learning_rate, "beta": self.args.beta}


def run_baseline(trainer_cls, required_columns: list[str], script_args, training_args, model_args, recipe=None):
    """The script skeleton of `sft.py` and `dpo.py`: data (checked first), model, train, save, card, push."""
    from transformers import set_seed
    from trl import get_peft_config

    from .data import load_script_dataset
    from .utils import (
        check_hub_access,
        check_launch_precision,
        check_model_path,
        check_training_paths,
        check_training_run,
        load_model,
        load_tokenizer,
        record_training_run,
        report_finished,
        setup_logging,
        train_and_save,
        training_settings,
    )

    setup_logging()
    set_seed(training_args.seed)
    # Settings, paths and data first: each mistake fails in one line before a model is downloaded.
    check_training_paths(training_args, model_args)
    check_launch_precision(training_args)
    method = "sft" if "SFT" in trainer_cls.__name__ else "dpo"
    settings = training_settings(method, script_args, training_args, model_args)
    check_training_run(training_args.output_dir, settings, script_args.allow_settings_change)
    dataset = load_script_dataset(script_args, required=required_columns)
    logger.info("%d training rows from %s", len(dataset), script_args.dataset_name)
    if training_args.push_to_hub:
        check_hub_access(training_args.hub_token)
    check_model_path(model_args.model_name_or_path)
    if report_finished(training_args):  # before any model loads
        return
    trainer = trainer_cls(
        model=load_model(model_args, training_args),
        args=training_args,
        train_dataset=dataset,
        processing_class=load_tokenizer(model_args, training_args),
        peft_config=get_peft_config(model_args),
    )
    record_training_run(training_args.output_dir, settings, trainer.is_world_process_zero(),
                        training_args.resume_from_checkpoint)  # fmt: skip
    trainer.card_data = {
        "base model": model_args.model_name_or_path,
        "dataset": script_args.dataset_name,
        "columns": ", ".join(required_columns),
    }
    train_and_save(trainer, training_args, script_args.dataset_name, recipe)
