"""The demo command: the toy over-thinker (`run.py`) by default, the real-model experiment (`real_model.py`) with
`--model smollm2-135m-instruct`; one seed, or several with `--seeds` (`seeds.py`).

    python -m efficient_reasoning.demo                      # the toy demo, default preset, about 5 minutes on 2 cores
    python -m efficient_reasoning.demo --preset quick       # fewer RL steps and held-out problems, no ablation
    python -m efficient_reasoning.demo --preset long --output_dir data/demo-long
    python -m efficient_reasoning.demo --model smollm2-135m-instruct --output_dir data/real-demo
    python -m efficient_reasoning.demo --model smollm2-135m-instruct --seeds 0,1,2 --output_dir data/real-demo
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from ..cli import (
    ArgumentParser,
    ItemList,
    SettingError,
    check_input_path,
    check_output_dir,
    check_range,
    check_unused,
)
from . import real_model
from .run import PRESETS, run

TOY = "dial"  # the toy demo's model, built from scratch on the dial task


def main(argv: list[str] | None = None) -> int:
    from ..utils import setup_logging

    setup_logging()
    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=[TOY, real_model.MODEL], default=TOY,
                        help=f"{TOY}: the toy demo; {real_model.MODEL}: the real-model experiment")  # fmt: skip
    parser.add_argument("--output_dir", default=None, help="default: data/demo (toy), data/real-demo (real model)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default", help="the toy demo's size")
    parser.add_argument("--rl_steps", type=int, default=None, help="override the GRPO steps per run")
    parser.add_argument("--alphas", action=ItemList, kind=float, default=None, help="e.g. 0,0.1,0.4 or 0 0.1 0.4")
    parser.add_argument("--seed", type=int, default=0, help="the toy's data, model, SFT and RL seed; the real "
                        "model's RL and evaluation seed")  # fmt: skip
    parser.add_argument(
        "--seeds",
        action=ItemList,
        kind=int,
        default=None,
        help="e.g. 0,1,2 or 0 1 2: a run per seed in OUTPUT_DIR/seed-N and a table",
    )
    parser.add_argument("--model_dir", default=None, help=f"{real_model.MODEL}: an already built model folder")
    parser.add_argument("--backend", choices=["vllm", "transformers"], default=None,
                        help=f"{real_model.MODEL}: the evaluation's (default: vllm if installed)")  # fmt: skip
    parser.add_argument("--no_check", action="store_true", help="exit 0 even when a claim does not hold")
    args = parser.parse_args(argv)
    real = args.model == real_model.MODEL
    if real:
        given = sys.argv[1:] if argv is None else argv
        check_unused(given, ("--preset",), False, f"it sizes the toy demo only (--model {TOY})")
        settings = replace(real_model.RealModelSettings(), seed=args.seed)
    else:
        for option in ("--model_dir", "--backend"):
            if getattr(args, option[2:]) is not None:
                raise SettingError(f"{option} applies to --model {real_model.MODEL} only")
        settings = replace(PRESETS[args.preset], seed=args.seed)
    check_range("--rl_steps", args.rl_steps, 1)
    if args.rl_steps is not None:
        settings = replace(settings, rl_steps=args.rl_steps)
    if args.alphas:
        alphas = tuple(args.alphas)
        for alpha in alphas:
            check_range("--alphas", alpha, 0, 1)
        if real and (len(alphas) < 2 or min(alphas) != 0):
            raise SettingError(f"--alphas for {real_model.MODEL} needs 0 and at least one alpha > 0, got {alphas}")
        settings = replace(settings, alphas=alphas)
    if args.model_dir:
        check_input_path(args.model_dir, "--model_dir", folder=True)
    output_dir = Path(args.output_dir or ("data/real-demo" if real else "data/demo"))
    check_output_dir(output_dir)

    def run_one(folder: Path, s) -> list[tuple[str, bool]]:
        if real:
            return real_model.run(folder, s, args.model_dir, args.backend)
        return run(folder, s)

    if args.seeds:
        from .seeds import REAL_MODEL_COLUMNS, run_seeds

        seeds = args.seeds
        extra = {"measures": real_model.measures, "columns": REAL_MODEL_COLUMNS} if real else {}
        held = run_seeds(output_dir, settings, seeds, run=run_one, **extra)
        if real:
            print(f"written: {real_model.plot_seeds(output_dir, seeds)}")
    else:
        held = all(ok for _, ok in run_one(output_dir, settings))
    return 0 if args.no_check or held else 1
