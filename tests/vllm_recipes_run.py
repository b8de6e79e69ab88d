"""Two GRPO steps of each given recipe with vLLM colocated (its CPU build), in one process: only the model, data,
lengths, batch sizes, GPU-only precision and `vllm_enable_sleep_mode: false` (vLLM's CPU platform has no sleep mode)
are overridden, so an engine setting or combination that vLLM or TRL rejects fails here.

    python tests/vllm_recipes_run.py DEMO_FOLDER OUTPUT_DIR RECIPE...   # OUTPUT_DIR/MODEL-grpo-STEM per recipe

Launched by tests/test_vllm_recipes.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests import vllm_cpu  # noqa: E402

OVERRIDES = [
    "--question_column", "problem", "--answer_column", "answer", "--prompt_template", "{question}",
    "--max_completion_length", "48", "--vllm_max_model_length", "512", "--vllm_enable_sleep_mode", "false",
    "--per_device_train_batch_size", "8", "--gradient_accumulation_steps", "1", "--generation_batch_size", "8",
    "--max_steps", "2", "--bf16", "false", "--fp16", "false", "--report_to", "none", "--push_to_hub", "false",
    "--save_strategy", "no", "--logging_steps", "1",
]  # fmt: skip


def run_name(recipe: str | Path) -> str:
    """The output folder of a recipe's run: its path under recipes/, e.g. `DeepSeek-R1-Distill-Qwen-7B-grpo-config`."""
    return "-".join(Path(recipe).relative_to(REPO / "recipes").with_suffix("").parts)


def main() -> None:
    demo, out, recipes = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    vllm_cpu.prepare()
    from efficient_reasoning import grpo

    for recipe in recipes:
        data = str(demo / "data" / "train.jsonl")
        argv = ["--config", recipe, "--model_name_or_path", str(demo / "sft"), "--output_dir",
                str(out / run_name(recipe)), "--dataset_name", data, *OVERRIDES]  # fmt: skip
        grpo.main(*grpo.parse(argv), recipe=recipe)


if __name__ == "__main__":
    main()
