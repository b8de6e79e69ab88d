"""Train a model to reason efficiently: GRPO-style RL with the length-penalized reward and RLOO advantage.

    accelerate launch --config_file accelerate_configs/zero2.yaml -m efficient_reasoning.grpo \\
        --config recipes/DeepSeek-R1-Distill-Qwen-1.5B/grpo/config.yaml --length_penalty_alpha 0.1

`{alpha}` in `output_dir`, `run_name` and `hub_model_id` is replaced by the run's alpha, `{length_reward}` by the
reward's name, `{reward}` by the reward and its parameters (e.g. `kimi-weight1`), and `{FIELD}` by the value of
the selected reward's parameter FIELD. With `--target_length_min/max`, each prompt states a budget drawn once (seeded)
from that range, in `--target_length_template` (L1's "Think for N tokens." by default).
"""

from __future__ import annotations

import logging
import sys

from transformers import set_seed
from trl import ModelConfig, get_peft_config

from .cli import SettingError, command
from .configs import DataArguments, EfficientReasoningConfig
from .data import load_script_dataset, to_prompts
from .target_length import add_target_lengths
from .utils import (
    check_hub_access,
    check_launch_precision,
    check_model_path,
    check_reward_parameters,
    check_training_paths,
    check_training_run,
    fill_alpha,
    fill_reward_names,
    load_model,
    load_tokenizer,
    parse_recipe,
    recipe_path,
    record_training_run,
    report_finished,
    setup_logging,
    train_and_save,
    training_settings,
)
from .verifier import is_scorable_gold

logger = logging.getLogger(__name__)


def batch_plan(args: EfficientReasoningConfig, num_processes: int) -> tuple[dict, list[str]]:
    """What one iteration does on `num_processes` processes, and warnings where it departs from the recipe's intent
    (`expected_global_batch_size`) or leaves a partial optimizer step. A wrong process count changes the method
    silently otherwise: the same recipe on twice the GPUs takes one optimizer step of twice the batch."""
    global_batch = num_processes * args.per_device_train_batch_size * args.gradient_accumulation_steps
    completions = args.generation_batch_size
    plan = {
        "processes": num_processes,
        "global_batch": global_batch,
        "prompts_per_iteration": completions // args.num_generations,
        "completions_per_iteration": completions,
        "optimizer_steps_per_iteration": completions * args.num_iterations / global_batch,
    }
    warnings = []
    expected = args.expected_global_batch_size
    if expected is not None and global_batch != expected:
        per_step = num_processes * args.per_device_train_batch_size
        fix = f"--gradient_accumulation_steps {expected // per_step}" if expected % per_step == 0 else "the batch"
        warnings.append(
            f"global batch {global_batch} = {num_processes} processes x {args.per_device_train_batch_size} x "
            f"{args.gradient_accumulation_steps} accumulation, but the recipe is written for {expected}: "
            f"{plan['optimizer_steps_per_iteration']:g} optimizer steps per iteration instead of "
            f"{completions * args.num_iterations / expected:g}. Launch the recipe's number of processes or set {fix}."
        )
    if completions % global_batch:
        warnings.append(
            f"{completions} completions per iteration do not fill whole optimizer steps of {global_batch}: "
            "the last step of each iteration mixes in the next iteration's completions"
        )
    return plan, warnings


def load_train_dataset(script_args: DataArguments):
    dataset = to_prompts(
        load_script_dataset(script_args),
        script_args.question_column,
        script_args.answer_column,
        script_args.prompt_template,
        where=script_args.dataset_name,
    )
    return drop_unscorable_golds(dataset, script_args.keep_unscorable_gold, where=script_args.dataset_name)


def drop_unscorable_golds(dataset, keep: bool = False, where: str = "dataset"):
    """Report the rows whose gold answer the verifier cannot parse (every completion would score NaN, so the row
    trains on nothing but noise) and drop them unless `keep`."""
    bad = [i for i, answer in enumerate(dataset["answer"]) if not is_scorable_gold(answer)]
    if not bad:
        return dataset
    examples = ", ".join(f"row {i}: {dataset[i]['answer']!r}" for i in bad[:3])
    action = "kept (keep_unscorable_gold)" if keep else "dropped"
    logger.warning("%s: %d of %d rows have a gold answer that cannot be scored (%s); %s", where, len(bad),
                   len(dataset), examples, action)  # fmt: skip
    if keep:
        return dataset
    if len(bad) == len(dataset):
        raise SettingError(f"{where}: no row has a gold answer the verifier can parse, e.g. {examples}")
    bad_set = set(bad)
    return dataset.select([i for i in range(len(dataset)) if i not in bad_set])


def main(
    script_args: DataArguments,
    training_args: EfficientReasoningConfig,
    model_args: ModelConfig,
    recipe: str | None = None,
) -> None:
    setup_logging()
    set_seed(training_args.seed)
    fill_alpha(training_args)
    fill_reward_names(training_args)
    # Settings, paths and data first: each mistake fails in one line before a model is downloaded.
    check_training_paths(training_args, model_args)
    check_launch_precision(training_args)
    settings = training_settings("grpo", script_args, training_args, model_args)
    check_training_run(training_args.output_dir, settings, script_args.allow_settings_change)
    train_dataset = load_train_dataset(script_args)
    if training_args.target_length_min is not None:  # target-length control: a budget stated in each prompt
        train_dataset = add_target_lengths(
            train_dataset,
            training_args.target_length_min,
            training_args.target_length_max,
            training_args.target_length_template,
            seed=training_args.seed,
        )
    logger.info("%d training prompts from %s", len(train_dataset), script_args.dataset_name)
    if training_args.push_to_hub:
        check_hub_access(training_args.hub_token)
    check_model_path(model_args.model_name_or_path)
    if training_args.use_vllm and training_args.vllm_mode == "colocate":
        from .vllm_cpu import check_cpu_engine_supports

        check_cpu_engine_supports(model_args.model_name_or_path, "model_name_or_path", "train with --use_vllm false")
    if report_finished(training_args):  # before any model loads
        return

    plan, warnings = batch_plan(training_args, training_args.world_size)
    logger.info("Per iteration: %s", ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in plan.items()))
    for warning in warnings:
        logger.warning("!!! %s", warning)

    from .trainer import EfficientReasoningGRPOTrainer  # TRL's GRPO trainer imports vLLM: not for a usage error

    tokenizer = load_tokenizer(model_args, training_args)
    model = load_model(model_args, training_args)
    trainer = EfficientReasoningGRPOTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        processing_class=tokenizer,
        peft_config=get_peft_config(model_args),
    )
    record_training_run(training_args.output_dir, settings, trainer.is_world_process_zero(),
                        training_args.resume_from_checkpoint)  # fmt: skip

    trainer.card_data = {
        "base model": model_args.model_name_or_path,
        "dataset": script_args.dataset_name,
        "columns": f"question {script_args.question_column!r}, gold answer {script_args.answer_column!r}",
        "prompt template": script_args.prompt_template,
    }
    train_and_save(trainer, training_args, script_args.dataset_name, recipe)


def parse(argv: list[str] | None = None):
    (script_args, training_args, model_args), given = parse_recipe(
        (DataArguments, EfficientReasoningConfig, ModelConfig), argv, "grpo"
    )
    check_reward_parameters(training_args, given)
    return script_args, training_args, model_args


def cli(argv: list[str] | None = None) -> None:
    main(*parse(argv), recipe=recipe_path(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    command(cli)
