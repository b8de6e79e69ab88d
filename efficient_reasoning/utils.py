"""Helpers shared by the training scripts: alpha-templated names, checkpoints, model loading, model cards."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer

from .cli import MissingPathError, NotAFolderError, SettingError, UsageError, read_text
from .dynamics import HISTORY_FILE, checkpoints, last_complete_checkpoint, run_history

logger = logging.getLogger(__name__)

NAME_FIELDS = ("output_dir", "run_name", "hub_model_id")


def reward_alpha(training_args) -> tuple[str, float] | None:
    """The selected length reward's `alpha` parameter (its config field and value), or None when it has none."""
    from .length_rewards import LENGTH_REWARDS

    spec = LENGTH_REWARDS.get(getattr(training_args, "length_reward", "paper"))
    field_name = spec.parameters.get("alpha") if spec is not None else "length_penalty_alpha"
    return (field_name, getattr(training_args, field_name)) if field_name else None


def fill_alpha(training_args, alpha: float | None = None) -> None:
    """Replace `{alpha}` in the run's output dir, run name and Hub id, so one recipe serves the whole family:
    the selected length reward's alpha (`length_penalty_alpha` for the paper's, `l1_alpha` for L1's, ...). A
    reward with no alpha cannot fill it: that fails with one line, as a name would otherwise state a value that
    has no effect on the run."""
    if alpha is None:
        found = reward_alpha(training_args)
        if found is None:  # every name that would state a value with no effect, in one message
            values = {name: getattr(training_args, name, None) for name in NAME_FIELDS}
            named = {name: value for name, value in values.items() if isinstance(value, str) and "{alpha}" in value}
            if named:
                fields = ", ".join(f"{name} {value!r}" for name, value in named.items())
                fix = " ".join(f"--{name} {value.replace('alpha{alpha}', '{reward}').replace('{alpha}', '{reward}')}"
                               for name, value in named.items())  # fmt: skip
                raise SettingError(
                    f"{fields}: length_reward={training_args.length_reward!r} has no alpha to fill {{alpha}} with; "
                    f"name the run by its reward instead, e.g. {fix}"
                )
            return
        alpha = found[1]
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
        checkpoint, skipped = last_complete_checkpoint(training_args.output_dir)
        for folder in skipped:
            logger.warning("Skipping %s: its save did not finish (no readable trainer_state.json)", folder)
        if checkpoint is not None:
            logger.info("Resuming from %s", checkpoint)
            return str(checkpoint)
    return None


def check_model_path(name: str, option: str = "model_name_or_path", checkpoints_hint: str | None = None) -> None:
    """Fail with one line when `name` is written as a local path (absolute, relative with `./`, `../` or `~`, or
    with more than one `/`, which no Hub id has) and no such folder exists; the Hub client would only say that
    the repo id is malformed. A local folder with no model in it (`config.json`) fails too, pointing to its
    `checkpoint-N` folders when it is a training run that has not finished (`checkpoints_hint`: how to take them
    all)."""
    path = Path(name).expanduser()
    looks_local = name.startswith(("/", "./", "../", "~", ".\\")) or name.count("/") > 1 or "\\" in name
    if looks_local and not path.exists():
        raise MissingPathError(f"{option}: local model folder {name!r} does not exist")
    if path.exists() and not path.is_dir():
        raise NotAFolderError(f"{option}: {name!r} is a file; give the model's folder")
    if path.is_dir() and not (path / "config.json").exists() and not (path / "adapter_config.json").exists():
        found = checkpoints(path)
        if found:
            more = f", or {checkpoints_hint} to take each of them" if checkpoints_hint else ""
            raise SettingError(
                f"{option}: {name!r} is a training run with no final model yet (no config.json), only "
                f"{', '.join(p.name for p in found)}; give a checkpoint folder such as {str(found[-1])!r}{more}"
            )
        if looks_local:
            raise SettingError(f"{option}: {name!r} holds no model (no config.json)")


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


EXAMPLE_QUESTION = "A box holds 12 pens. Sam buys 3 boxes and gives away 5 pens. How many pens does he have?"


def launch_summary(accelerator) -> str:
    """How the run was launched: the distributed type, processes, DeepSpeed's ZeRO stage, mixed precision."""
    state = accelerator.state
    parts = [str(state.distributed_type).split(".")[-1], f"{state.num_processes} process(es)"]
    plugin = getattr(state, "deepspeed_plugin", None)
    if plugin is not None:
        parts.append(f"ZeRO-{plugin.zero_stage}")
    parts.append(f"mixed precision {state.mixed_precision}")
    return ", ".join(parts)


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
        # TRL names the Hub id in the title and the usage snippet, "None" for a run that is not pushed: name the model
        # the snippet can load, the Hub id when pushed, else the saved folder
        pushed = getattr(self.args, "push_to_hub", False) and self.args.hub_model_id
        model = self.args.hub_model_id if pushed else str(Path(self.args.output_dir).resolve())
        text = text.replace('model="None"', f'model="{model}"')
        text = text.replace("# Model Card for None", f"# Model Card for {model_name or Path(model).name}")
        if base_model:
            local = Path(base_model).exists()
            named = (
                f"`{base_model}` (a local folder)" if local else f"[{base_model}](https://huggingface.co/{base_model})"
            )
            text = text.replace("[None](https://huggingface.co/None)", named)
        # TRL's quick-start question is small talk: ask what the model was trained on, in its prompt
        from .data import PAPER_PROMPT

        question = (data.get("prompt template") or PAPER_PROMPT).replace("{question}", EXAMPLE_QUESTION)
        text = re.sub(r'^question = ".*"$', lambda _: f"question = {json.dumps(question)}", text, flags=re.M)
        details = {**data, **self.model_card_details(), "recipe": self.recipe or "(none: arguments only)",
                   "launch": launch_summary(self.accelerator)}  # fmt: skip
        if earlier := history_note(self.args.output_dir):
            details["earlier settings of this run"] = earlier
        settings = "\n".join(f"- {key}: `{value}`" for key, value in details.items())
        config = {k: v for k, v in self.args.to_dict().items() if not k.startswith("_") and "token" not in k}
        plugin = getattr(self.accelerator.state, "deepspeed_plugin", None)
        if config.get("deepspeed") is None and plugin is not None:  # launched with an accelerate DeepSpeed config
            config["deepspeed"] = json.loads(json.dumps(plugin.deepspeed_config, default=str))
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


class HubAccessError(UsageError, RuntimeError):
    """The Hugging Face Hub cannot be reached, or no valid token is set."""


def check_hub_access(token: str | None = None, what: str = "push_to_hub") -> None:
    """Fail in one line, before any model loads, when the Hub cannot be reached or no token is set."""
    from huggingface_hub import HfApi

    try:
        HfApi().whoami(token=token)
    except Exception as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise HubAccessError(
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


def report_finished(training_args) -> bool:
    """Whether the run in `output_dir` already finished its `max_steps` (logged); then nothing is loaded."""
    done = finished_run(training_args)
    if done is not None:
        logger.warning(
            "%s already finished %d of max_steps=%d; nothing to do (raise --max_steps to train further, or use "
            "another output_dir)",
            training_args.output_dir,
            done,
            training_args.max_steps,
        )
    return done is not None


def train_and_save(trainer, training_args, dataset_name: str | None, recipe: str | None) -> None:
    """The scripts' common tail: resume from the last checkpoint, train, save, write the model card, push.
    A finished run (see `finished_run`) is left as it is."""
    if report_finished(training_args):
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


# What the libraries print on every run that tells the user nothing: (logger, start of the message)
NOISE = (
    ("DeepSpeed", "Setting accelerator to CPU"),  # DeepSpeed on a machine without a GPU, once per import
    ("vllm.triton_utils.importing", "Triton is installed, but"),  # vLLM's CPU build
)
NOISY_WARNINGS = (r".*all_gather_into_tensor", r".*torch\.distributed\.reduce_op. is deprecated")  # FutureWarnings


class _DropMessages(logging.Filter):
    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


def setup_logging() -> None:
    """INFO from the main process only (under `accelerate launch` every rank runs the script: the others log
    errors), without the libraries' per-run noise (`NOISE`, `NOISY_WARNINGS`)."""
    import warnings

    import datasets
    import transformers

    main_process = int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) == 0
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.INFO if main_process else logging.ERROR)  # fmt: skip
    datasets.utils.logging.set_verbosity_warning()
    transformers.utils.logging.set_verbosity(logging.WARNING if main_process else logging.ERROR)
    for name, prefix in NOISE:
        logging.getLogger(name).addFilter(_DropMessages(prefix))
    for pattern in NOISY_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern, category=FutureWarning)


# The training commands' arguments: recipe and command line checked, their own options first in `--help`.

COMMAND_LINE = "the command line"
SHOWN_FIRST = ("model_name_or_path", "dataset_name", "output_dir", "max_steps", "learning_rate", "seed", "run_name")


def _own_fields(types) -> set[str]:
    """The fields the project's own dataclasses declare (not those of TRL's or transformers' bases)."""
    own = set(SHOWN_FIRST)
    for t in types:
        for cls in t.__mro__:
            if cls.__module__.startswith("efficient_reasoning"):
                own.update(cls.__dict__.get("__annotations__", {}))
    return own


def parse_recipe(types, argv: list[str] | None, command: str):
    """`TrlParser(types).parse_args_and_config` with one-line errors: a recipe that is missing or not a mapping, an
    unknown recipe key or command-line option (with the nearest valid name), a bad value. Returns the dataclasses
    and which settings were given, `{field: where}` (the recipe file or the command line)."""
    from trl import TrlParser

    from .cli import nearest, one_line_errors, own_options_first

    argv = config_args(argv)
    parser = one_line_errors(TrlParser(types))
    usage = f"python -m efficient_reasoning.{command} --config RECIPE [--OPTION VALUE ...]"
    own_options_first(parser, _own_fields(types), f"options of {command} (the others follow TRL's names)", usage)
    dests = {a.dest for a in parser._actions}
    flags = {s for a in parser._actions for s in a.option_strings}
    given: dict[str, str] = {}
    if "--config" in argv:
        at = argv.index("--config")
        if at + 1 >= len(argv):
            raise SettingError("--config needs a recipe file: --config PATH")
        recipe = argv[at + 1]
        path = Path(recipe)
        if not path.is_file():
            raise MissingPathError(f"--config: recipe file {recipe!r} does not exist")
        try:
            config = yaml.safe_load(read_text(path))
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{recipe}:{mark.line + 1}" if mark is not None else recipe
            raise SettingError(f"{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
        if not isinstance(config, dict):
            raise SettingError(f"{recipe}: a recipe must be a YAML mapping of option: value")
        for key in config:
            if key != "env" and key not in dests:
                raise SettingError(f"{recipe}: unknown key {key!r}{nearest(str(key), dests)}")
            given[key] = f"recipe {recipe}"
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--config":
            skip = True
            continue
        if arg.startswith("--") and arg not in ("--help",):
            flag = arg.split("=", 1)[0]
            if flag not in flags:
                raise SettingError(f"unknown option {flag}{nearest(flag, flags)} (--help lists the options)")
            action = next(a for a in parser._actions if flag in a.option_strings)
            given[action.dest] = COMMAND_LINE
    try:
        parsed = parser.parse_args_and_config(args=argv)
    except UsageError:
        raise
    except ValueError as e:  # a dataclass's own check of a value (`__post_init__`)
        raise SettingError(str(e)) from e
    return parsed, given


def check_reward_parameters(training_args, given: dict[str, str]) -> None:
    """A parameter of a length reward that is not selected does nothing: setting it is an error (one line). A
    recipe's parameter of the recipe's own reward, when the command line selects another, is only reported."""
    from .length_rewards import LENGTH_REWARDS

    selected = training_args.length_reward
    used = set(LENGTH_REWARDS[selected].parameters.values())
    owners: dict[str, list[str]] = {}
    for name, spec in LENGTH_REWARDS.items():
        for field_name in spec.parameters.values():
            owners.setdefault(field_name, []).append(name)
    for field_name in sorted(set(owners) - used):
        where = given.get(field_name)
        if where is None:
            continue
        rewards = " or ".join(repr(r) for r in owners[field_name])
        if where != COMMAND_LINE and given.get("length_reward") == COMMAND_LINE:
            logger.warning("%s (%s) is ignored: length_reward %r from the command line does not use it",
                           field_name, where, selected)  # fmt: skip
            continue
        raise SettingError(
            f"{field_name} ({where}) does nothing with length_reward={selected!r}: only {rewards} uses it; drop it, "
            f"or select that reward (--length_reward {owners[field_name][0]})"
        )


# A training run is one run: the settings that define it are recorded in its output_dir, and a rerun or an
# extension with other settings is refused.

RUN_FILE = "run.json"


def training_settings(method: str, script_args, training_args, model_args) -> dict:
    """What defines a training run: the method, the model, the data, the seed and the optimisation target (for
    GRPO the reward and its parameters). Logging, saving and `max_steps` may change between runs."""
    settings = {
        "method": method,
        "model": model_args.model_name_or_path,
        "model_revision": model_args.model_revision,
        "dataset": script_args.dataset_name,
        "dataset_config": script_args.dataset_config,
        "dataset_split": script_args.dataset_train_split,
        "max_train_samples": script_args.max_train_samples,
        "seed": training_args.seed,
        "learning_rate": training_args.learning_rate,
    }
    for name in ("question_column", "answer_column", "prompt_template", "keep_unscorable_gold"):
        if hasattr(script_args, name):
            settings[name] = getattr(script_args, name)
    if method == "grpo":
        from .length_rewards import reward_settings

        settings.update(reward_settings(training_args))
        for name in ("advantage_estimator", "scale_rewards", "beta", "loss_type", "num_generations",
                     "max_completion_length", "temperature", "answer_extraction", "target_length_min",
                     "target_length_max", "target_length_template"):  # fmt: skip
            settings[name] = getattr(training_args, name)
    elif method == "dpo":
        settings["beta"] = training_args.beta
    return json.loads(json.dumps(settings, default=str))


def check_training_run(output_dir: str, settings: dict, allow_change: bool = False) -> None:
    """Refuse to resume or extend the run in `output_dir` when its recorded settings differ from `settings`,
    naming each difference and how to proceed; `allow_change` continues it anyway (with a warning)."""
    path = Path(output_dir) / RUN_FILE
    if not path.exists():
        if Path(output_dir).is_dir() and (checkpoints(Path(output_dir)) or (Path(output_dir) / "trainer_state.json"
                                                                               ).exists()):  # fmt: skip
            logger.warning("%s holds a run with no %s: its settings cannot be compared with these", output_dir,
                           RUN_FILE)  # fmt: skip
        return
    try:
        recorded = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise SettingError(f"{path}: not valid JSON; fix or delete it") from None
    changed = [f"{key} {recorded.get(key)!r} -> {value!r}" for key, value in settings.items()
               if recorded.get(key) != value]  # fmt: skip
    changed += [f"{key} {value!r} -> (unset)" for key, value in recorded.items() if key not in settings]
    if not changed:
        return
    if allow_change:
        logger.warning("%s: continuing a run with other settings (allow_settings_change): %s", output_dir,
                       "; ".join(changed))  # fmt: skip
        return
    raise SettingError(
        f"{output_dir} holds a run with other settings: {'; '.join(changed)}. Use another --output_dir for a new "
        "run, or pass --allow_settings_change true to continue this one with the new settings"
    )


def record_training_run(
    output_dir: str, settings: dict, is_main_process: bool = True, resume_from: str | None = None
) -> None:
    """Write `settings` to `output_dir/run.json` (once the model has loaded and training starts). Other settings
    recorded there (a run continued with `allow_settings_change`) move to `run_history.json` first, with
    `until_step`, the step of the checkpoint the new settings resume from (`resume_from`, else the folder's last);
    a run that restarts from no checkpoint keeps nothing of them."""
    if not is_main_process:
        return
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    recorded = json.loads((out / RUN_FILE).read_text()) if (out / RUN_FILE).exists() else settings
    checkpoint = resume_from or last_complete_checkpoint(output_dir)[0]
    step = re.search(r"checkpoint-(\d+)$", str(checkpoint or "").rstrip("/"))
    if recorded != settings and step:
        entry = {"until_step": int(step.group(1)), "settings": recorded}
        (out / HISTORY_FILE).write_text(json.dumps([*run_history(output_dir), entry], indent=2))
    (out / RUN_FILE).write_text(json.dumps(settings, indent=2))


def history_note(output_dir: str) -> str | None:
    """What the model card says of a run continued with other settings: each earlier stretch and what differed."""
    history = run_history(output_dir)
    if not history:
        return None
    current = json.loads((Path(output_dir) / RUN_FILE).read_text())
    stretches = []
    for entry in history:
        old = entry["settings"]
        differ = ", ".join(f"{k}={old.get(k)!r}" for k in sorted({*old, *current}) if old.get(k) != current.get(k))
        stretches.append(f"until step {entry['until_step']}: {differ}")
    return f"{'; '.join(stretches)} ({HISTORY_FILE})"


def check_launch_precision(training_args) -> None:
    """`accelerate launch` passes its config's (or `--mixed_precision`'s) precision on to training, where it overrides
    a recipe's `bf16: false` (and DeepSpeed then stops at start, on every rank, with a traceback): fail in one line,
    before any model loads, naming both settings."""
    launched = os.environ.get("ACCELERATE_MIXED_PRECISION", "no")
    recipe = "bf16" if training_args.bf16 else "fp16" if training_args.fp16 else "no"
    if launched in ("bf16", "fp16") and launched != recipe:
        fix = "--mixed_precision no" if recipe == "no" else f"--mixed_precision {recipe}"
        raise SettingError(
            f"accelerate launch runs with mixed_precision {launched} (its --config_file or --mixed_precision) but the "
            f"recipe trains with {'bf16: false, fp16: false' if recipe == 'no' else recipe + ': true'}: add {fix} to "
            f"accelerate launch (a CPU recipe), or set --{launched} true"
        )


def check_training_paths(training_args, model_args) -> None:
    """The output folder can be written and is not the base model's; checked before any model loads."""
    from .cli import check_output_dir

    model = model_args.model_name_or_path
    check_output_dir(training_args.output_dir, "output_dir", inputs={"model_name_or_path": model})
