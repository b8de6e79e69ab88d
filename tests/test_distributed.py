"""Two real processes under `accelerate launch` with DeepSpeed ZeRO-2/3 (gloo on CPU): every rank must train on
exactly the rewards (the paper's, and Kimi k1.5's) and advantages an independent computation over each prompt's
whole gathered group gives, also though each group of 8 completions is split 4 + 4 across the ranks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import reference

REPO = Path(__file__).resolve().parents[1]
LASER_TARGETS = [6, 10, 14]  # tokens, for the 16-token completions of distributed_run.py
DOT = {"alpha": 0.5, "margin": 1}  # distributed_run.py's dot_alpha and dot_margin


def launch(
    config: str,
    model: Path,
    data: Path,
    out: Path,
    *extra: str,
    runs: tuple[str, ...] = ("rloo:paper",),
    env: dict | None = None,
) -> dict[str, list[list[dict]]]:
    """One `accelerate launch` of 2 processes training `runs` (`ESTIMATOR:REWARD`) one after another: per run,
    what each rank recorded."""
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--config_file", str(REPO / "accelerate_configs" / config),
        "--num_processes", "2", "--mixed_precision", "no", "--main_process_port", "29517",
        str(REPO / "tests" / "distributed_run.py"),
        "--model", str(model), "--data", str(data), "--output_dir", str(out), "--runs", *runs, *extra,
    ]  # fmt: skip
    env = env or {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-5000:]
    folders = {run: out / "-".join(run.split(":")[:2]) for run in runs}
    return {run: [json.loads((folder / f"rank{rank}.json").read_text()) for rank in (0, 1)]
            for run, folder in folders.items()}  # fmt: skip


def _rstrip(ids: list[int], pad: int) -> list[int]:
    while ids and ids[-1] == pad:
        ids = ids[:-1]
    return ids


# one launch trains these one after another: kimi's min and max lengths are group statistics over all samples,
# correct or not; Laser-D's target follows the whole group's accuracy; DOT's cut-off is one over a whole
# all-correct group, so its run has room for every response to finish (64 tokens)
ZERO2_RUNS = ("rloo:paper", "grpo:kimi", "rloo:laser", "rloo:dot:64")


@pytest.fixture(scope="module")
def zero2_runs(tiny, tmp_path_factory) -> dict[str, list[list[dict]]]:
    out = tmp_path_factory.mktemp("zero2")
    return launch("zero2.yaml", tiny / "model", tiny / "arithmetic.jsonl", out, runs=ZERO2_RUNS)


@pytest.mark.slow
@pytest.mark.parametrize("run", ZERO2_RUNS)
def test_every_rank_uses_the_whole_group_under_zero2(zero2_runs, run):
    estimator, reward = run.split(":")[:2]
    check_ranks(zero2_runs[run], estimator, reward)


@pytest.mark.slow
def test_the_model_card_states_the_launch(zero2_runs, tmp_path_factory):
    folder = next(iter(tmp_path_factory.getbasetemp().glob("zero2*"))) / "rloo-paper"
    card = (folder / "README.md").read_text()
    assert "- launch: `DEEPSPEED, 2 process(es), ZeRO-2, mixed precision no`" in card
    assert "deepspeed: null" not in card and "zero_optimization:" in card  # the DeepSpeed config actually used


@pytest.mark.slow
def test_every_rank_uses_the_whole_group_under_zero3(tiny, tmp_path):
    check_ranks(launch("zero3.yaml", tiny / "model", tiny / "arithmetic.jsonl", tmp_path)["rloo:paper"])


def check_ranks(ranks: list[list[dict]], estimator: str = "rloo", reward: str = "paper") -> None:
    """Every step's advantages on each rank are those of an independent computation over the gathered group."""
    advantage = reference.rloo if estimator == "rloo" else reference.grpo
    assert len(ranks[0]) == len(ranks[1]) == 3
    informative = 0
    for step0, step1 in zip(*ranks):
        # both ranks saw the same gathered batch: one prompt, its 8 completions split 4 + 4
        for key in ("prompts", "completions", "completion_ids", "golds"):
            assert step0[key] == step1[key]
        assert step0["num_local"] == step1["num_local"] == 4
        assert len(set(step0["prompts"])) == 1 and len(step0["completions"]) == 8

        # TRL's rule: finished when the last token is an EOS id or the pad id; padding after a stop is not counted
        eos, pad = step0["eos_token_ids"], step0["pad_token_id"]
        finished = [len(ids) > 0 and ids[-1] in [*eos, pad] for ids in step0["completion_ids"]]
        # distributed_run.py's verifier: an even number of characters, or for DOT anything; truncated is incorrect
        even = [len(text) % 2 == 0 or reward == "dot" for text in step0["completions"]]
        correct = [done and ok for done, ok in zip(finished, even)]
        strip = pad not in eos
        lengths = [len(_rstrip(ids, pad)) if strip else len(ids) for ids in step0["completion_ids"]]
        if reward == "paper":
            rewards = reference.reward(correct, lengths, step0["alpha"])
        elif reward == "laser":  # Laser-D: the target follows the accuracy of the whole group
            rewards = reference.laser(correct, lengths, LASER_TARGETS, bonus=0.5)
        elif reward == "dot":
            rewards = reference.dot(correct, lengths, **DOT)
        else:
            rewards = reference.kimi(correct, lengths, weight=0.5)
        expected = advantage(rewards) if len(set(rewards)) > 1 else [0.0] * 8
        assert step0["advantages"] == pytest.approx(expected[:4], abs=1e-4)
        assert step1["advantages"] == pytest.approx(expected[4:], abs=1e-4)
        # DOT cuts only in an all-correct group
        informative += sum(correct) >= 2 and any(expected) and (reward != "dot" or all(correct))
    # the check is only meaningful if some groups had several correct responses of different lengths (for DOT:
    # an all-correct group with an outlier cut)
    assert informative >= 1
