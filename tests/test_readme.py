"""The README's code blocks, run as written on a CPU with only the model and data swapped for tiny ones."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def code_block(after: str, language: str) -> str:
    """The first `language` code block after the line that starts with `after`."""
    start = README.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(README, start)
    assert match, f"no {language} block after {after!r}"
    return match.group(1)


def test_trainer_snippet_runs_on_cpu(tiny, tmp_path):
    snippet = code_block("## Using the trainer directly", "python")
    assert "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B" in snippet and "\\\\boxed{{}}" in snippet
    snippet = snippet.replace("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", str(tiny / "model"))
    check = "\nlogged = [row for row in trainer.state.log_history if 'efficiency/accuracy' in row]\n"
    check += "print('steps', trainer.state.global_step, 'logged', len(logged))\n"
    result = subprocess.run([sys.executable, "-c", snippet + check], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    steps, logged = map(int, re.search(r"steps (\d+) logged (\d+)", result.stdout).groups())
    # trained on the CPU: a step per prompt (8 completions, TRL's batch of 8), logged with the length reward's metrics
    assert steps == 2 and logged >= 1


def test_cpu_launch_line_runs_as_written(tiny, tmp_path):
    block = code_block("**On a CPU.**", "bash")
    command = block.replace("\\\n", " ").split()
    assert command[:2] == ["accelerate", "launch"] and "--mixed_precision" in command
    out = tmp_path / "zero2"
    command = [str(out) if word == "data/tiny/grpo-zero2" else word for word in command]
    command += ["--model_name_or_path", str(tiny / "model"), "--dataset_name", str(tiny / "arithmetic.jsonl"),
                "--max_steps", "2", "--save_strategy", "no"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (out / "model.safetensors").exists() and (out / "run.json").exists()
    # without the option, one line before any model loads
    at = command.index("--mixed_precision")
    bare = command[:at] + command[at + 2 :]
    result = subprocess.run(bare, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode != 0 and "add --mixed_precision no to accelerate launch" in result.stderr
    assert f'File "{REPO / "efficient_reasoning"}' not in result.stderr  # accelerate's own traceback only
