"""Every recipe parses with its script, and the paper's recipes carry the paper's hyper-parameters."""

import re
from pathlib import Path

import pytest
import yaml

from efficient_reasoning import dpo, grpo, sft

REPO = Path(__file__).resolve().parents[1]
RECIPES = sorted((REPO / "recipes").rglob("*.yaml"))
PAPER = {"DeepSeek-R1-Distill-Qwen-1.5B": (5e-6, 4), "DeepSeek-R1-Distill-Qwen-7B": (2e-6, 8)}
SCRIPTS = {"grpo": grpo, "sft": sft, "dpo": dpo}


def script_for(path: Path):
    kind = path.parent.name if path.parent.name in SCRIPTS else path.stem
    return kind, SCRIPTS[kind]


def test_there_are_recipes():
    assert any("tiny" in str(p) for p in RECIPES) and len(RECIPES) >= 4


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: str(p.relative_to(REPO / "recipes")))
def test_recipe_parses(path):
    raw = yaml.safe_load(path.read_text())
    kind, script = script_for(path)
    # GPU-only settings are switched off to parse on CPU; everything else comes from the file
    overrides = ["--bf16", "false", "--fp16", "false"] + (["--use_vllm", "false"] if kind == "grpo" else [])
    _, training_args, model_args = script.parse(["--config", str(path), *overrides])
    assert model_args.model_name_or_path == raw["model_name_or_path"]
    assert training_args.learning_rate == raw["learning_rate"]
    if kind == "grpo":
        reward = raw.get("length_reward", "paper")
        assert training_args.length_reward == reward
        if reward == "paper":
            assert training_args.length_penalty_alpha == raw["length_penalty_alpha"]
        placeholder = "{alpha}" if reward == "paper" else "{reward}"
        hub_recipe = raw["model_name_or_path"].startswith("deepseek-ai/")
        for name in ("output_dir", "run_name", "hub_model_id") if hub_recipe else ("output_dir",):
            assert placeholder in raw[name], f"{path}: {name} must name the {placeholder}"


LENGTH_REWARD_RECIPES = [
    p
    for p in sorted((REPO / "recipes" / "DeepSeek-R1-Distill-Qwen-1.5B" / "grpo").glob("config_*.yaml"))
    if "length_reward" in yaml.safe_load(p.read_text())
]


def test_a_recipe_for_each_length_reward():
    from efficient_reasoning.length_rewards import LENGTH_REWARDS

    rewards = {yaml.safe_load(p.read_text()).get("length_reward") for p in LENGTH_REWARD_RECIPES}
    assert rewards >= set(LENGTH_REWARDS) - {"paper"}


@pytest.mark.parametrize("path", LENGTH_REWARD_RECIPES, ids=lambda p: p.stem)
def test_length_reward_recipes_keep_the_papers_run_and_name_the_reward(path):
    from efficient_reasoning.utils import fill_reward_names

    paper = REPO / "recipes" / "DeepSeek-R1-Distill-Qwen-1.5B" / "grpo" / "config.yaml"
    overrides = ["--bf16", "false", "--use_vllm", "false"]
    _, base, _ = grpo.parse(["--config", str(paper), *overrides])
    _, args, _ = grpo.parse(["--config", str(path), *overrides])
    for key in ("num_generations", "generation_batch_size", "max_completion_length", "temperature", "learning_rate",
                "per_device_train_batch_size", "gradient_accumulation_steps", "beta", "epsilon", "loss_type",
                "advantage_estimator", "num_train_epochs", "seed"):  # fmt: skip
        assert getattr(args, key) == getattr(base, key), key
    fill_reward_names(args)
    assert args.hub_model_id.startswith(f"DeepSeek-R1-Distill-Qwen-1.5B-efficient-{args.length_reward}")
    assert "{" not in args.hub_model_id and len(args.hub_model_id) <= 96  # the Hub's limit on repository names


@pytest.mark.parametrize("model", sorted(PAPER))
def test_paper_hyperparameters(model):
    learning_rate, num_gpus = PAPER[model]
    path = REPO / "recipes" / model / "grpo" / "config.yaml"
    _, args, model_args = grpo.parse(["--config", str(path), "--bf16", "false", "--use_vllm", "false"])
    raw = yaml.safe_load(path.read_text())
    assert model_args.model_name_or_path == f"deepseek-ai/{model}"
    assert raw["bf16"] and raw["use_vllm"] and args.gradient_checkpointing
    assert args.learning_rate == learning_rate
    assert args.num_generations == 8 and args.generation_batch_size // args.num_generations == 32  # prompts/iteration
    # global batch 128 on the recipe's number of GPUs: 2 optimizer steps per iteration of 256 completions
    assert args.per_device_train_batch_size * args.gradient_accumulation_steps * num_gpus == 128
    assert (args.beta, args.epsilon, args.loss_type, args.advantage_estimator) == (1e-3, 0.2, "grpo", "rloo")
    assert (args.adam_beta1, args.adam_beta2, args.weight_decay, args.max_grad_norm) == (0.9, 0.95, 0.0, 1.0)
    assert args.temperature == 1.0 and args.max_completion_length == 32000


BASELINE_GRID = {1e-5, 5e-6, 2e-6}  # the paper's sweep for both baselines
EFFECTIVE_RATE = {"sft": "5e-6", "dpo": "1e-5"}  # the rate the paper found to shorten responses


@pytest.mark.parametrize("model", sorted(PAPER))
@pytest.mark.parametrize("kind", ["sft", "dpo"])
def test_baseline_sweeps(model, kind):
    paths = sorted((REPO / "recipes" / model / kind).glob("config_lr*.yaml"))
    rates = [SCRIPTS[kind].parse(["--config", str(p), "--bf16", "false"])[1].learning_rate for p in paths]
    assert set(rates) == BASELINE_GRID and len(rates) == 3  # three separate runs of the paper's sweep
    for path, rate in zip(paths, rates):
        raw = yaml.safe_load(path.read_text())
        assert raw["dataset_name"] == f"data/rs-{model.rsplit('-', 1)[1]}/{kind}"
        assert float(path.stem.removeprefix("config_lr")) == rate  # named by its rate
        assert path.stem.removeprefix("config_") in raw["output_dir"]
        assert f"The paper found {EFFECTIVE_RATE[kind]} the rate" in path.read_text()
        assert "this project's choice" in path.read_text()
        if kind == "sft":
            assert raw["completion_only_loss"] is True


LAUNCH = re.compile(r"--config_file accelerate_configs/(\S+\.yaml)(?: --num_processes (\d+))?")


MULTI_GPU = [p for p in RECIPES if "accelerate launch" in p.read_text()]


@pytest.mark.parametrize("path", MULTI_GPU, ids=lambda p: str(p.relative_to(REPO / "recipes")))
def test_launch_commands_match_the_accelerate_configs(path):
    """The process count a recipe's launch command gives is the one its accelerate config defaults to, and for the
    RL recipes it yields the global batch the recipe is written for."""
    launches = LAUNCH.findall(path.read_text())
    assert launches, f"{path}: no launch command in the comments"
    raw = yaml.safe_load(path.read_text())
    for config, processes in launches:
        accelerate = yaml.safe_load((REPO / "accelerate_configs" / config).read_text())
        processes = int(processes or accelerate["num_processes"])
        assert accelerate["num_processes"] == processes, f"{config} defaults to another process count"
        global_batch = processes * raw["per_device_train_batch_size"] * raw["gradient_accumulation_steps"]
        if path.parent.name == "grpo":
            assert global_batch == raw["expected_global_batch_size"] == 128


def test_the_paper_7b_configs_offload_adam():
    for name, machines in (("zero3_offload.yaml", 1), ("zero3_two_nodes.yaml", 2)):
        config = yaml.safe_load((REPO / "accelerate_configs" / name).read_text())
        assert config["deepspeed_config"]["zero_stage"] == 3
        assert config["deepspeed_config"]["offload_optimizer_device"] == "cpu"
        assert (config["num_machines"], config["num_processes"]) == (machines, 8)  # 8 GPUs, as 1 x 8 or 2 x 4


def test_batch_plan_warns_on_a_wrong_process_count():
    path = REPO / "recipes" / "DeepSeek-R1-Distill-Qwen-1.5B" / "grpo" / "config.yaml"
    _, args, _ = grpo.parse(["--config", str(path), "--bf16", "false", "--use_vllm", "false"])
    plan, warnings = grpo.batch_plan(args, 4)
    assert plan == {
        "processes": 4, "global_batch": 128, "prompts_per_iteration": 32, "completions_per_iteration": 256,
        "optimizer_steps_per_iteration": 2.0,
    }  # fmt: skip
    assert warnings == []
    plan, warnings = grpo.batch_plan(args, 8)  # zero2.yaml used to default to 8 processes
    assert plan["global_batch"] == 256 and plan["optimizer_steps_per_iteration"] == 1.0
    assert len(warnings) == 1 and "written for 128" in warnings[0] and "--gradient_accumulation_steps 8" in warnings[0]
    _, warnings = grpo.batch_plan(args, 3)
    assert any("do not fill whole optimizer steps" in w for w in warnings)


def test_the_script_logs_the_batch_plan(tmp_path, tiny, caplog):
    config = yaml.safe_load((REPO / "recipes" / "tiny" / "grpo.yaml").read_text())
    config.update(
        model_name_or_path=str(tiny / "model"), dataset_name=str(tiny / "arithmetic.jsonl"),
        output_dir=str(tmp_path / "run"), max_steps=1, expected_global_batch_size=64,
    )  # fmt: skip
    recipe = tmp_path / "grpo.yaml"
    recipe.write_text(yaml.safe_dump(config))
    with caplog.at_level("INFO"):
        grpo.main(*grpo.parse(["--config", str(recipe)]))
    text = caplog.text
    assert "Per iteration: processes 1, global batch" in text
    assert "!!! global batch" in text and "written for 64" in text


def test_t4_recipe_fits_a_free_colab_gpu():
    path = REPO / "recipes" / "DeepSeek-R1-Distill-Qwen-1.5B" / "grpo" / "config_lora_t4.yaml"
    raw = yaml.safe_load(path.read_text())
    # a T4 has no bf16 (compute 7.5): fp16 weights and mixed precision, never bf16
    assert (raw["dtype"], raw["fp16"], raw["bf16"], raw["use_peft"]) == ("float16", True, False, True)
    assert raw["max_completion_length"] <= 4096 < raw["vllm_max_model_length"]
    assert raw["per_device_train_batch_size"] <= 2 and raw["vllm_enable_sleep_mode"]
    assert raw["per_device_train_batch_size"] * raw["gradient_accumulation_steps"] == raw["expected_global_batch_size"]


def test_trackers_the_recipes_report_to_are_installed_by_the_documented_commands():
    import configparser

    extras = configparser.ConfigParser()
    extras.read(REPO / "setup.cfg")
    tracking = {line.split("==")[0] for line in extras["options.extras_require"]["tracking"].split()}
    named = set()
    for path in RECIPES:
        report_to = yaml.safe_load(path.read_text()).get("report_to") or []
        named |= {report_to} if isinstance(report_to, str) else set(report_to)
    named -= {"none"}
    assert named and named <= tracking  # wandb, trackio
    assert 'pip install -e ".[deepspeed,vllm,tracking]"' in (REPO / "README.md").read_text()
    assert ".[vllm,tracking]" in (REPO / "notebooks" / "efficient_reasoning.ipynb").read_text()


def test_field_recipes_carry_their_sources_settings():
    from efficient_reasoning.utils import fill_reward_names

    grpo_dir = REPO / "recipes" / "DeepSeek-R1-Distill-Qwen-1.5B" / "grpo"
    parsed = {}
    for name in ("dler", "laser", "dot", "truncation"):
        _, args, _ = grpo.parse(["--config", str(grpo_dir / f"config_{name}.yaml"), "--bf16", "false",
                                 "--use_vllm", "false"])  # fmt: skip
        fill_reward_names(args)
        parsed[name] = args
    dler = parsed["dler"]
    assert (dler.length_reward, dler.truncation_budget, dler.scale_rewards) == ("truncation", 4000, "batch")
    assert (dler.epsilon, dler.epsilon_high) == (0.2, 0.28)
    assert "dynamic sampling" in (grpo_dir / "config_dler.yaml").read_text()
    assert dler.hub_model_id != parsed["truncation"].hub_model_id  # the two truncation runs do not share a repo
    assert parsed["laser"].laser_targets == [4096, 8192, 16384] and parsed["laser"].laser_bonus == 0.5
    assert parsed["laser"].hub_model_id.endswith("laser-targets4096_8192_16384-bonus0.5")
    n = parsed["dot"].num_generations
    assert parsed["dot"].dot_margin == 32 and parsed["dot"].dot_alpha < (n - 1) / n**0.5  # it can cut at 8 samples
