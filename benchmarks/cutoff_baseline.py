"""The generation-cutoff baseline: derived from one set of long generations, or generated once per cutoff.

    python benchmarks/cutoff_baseline.py [--problems 16] [--k 2] [--scale 1]

On the tiny model, times (a) one generation at the longest limit plus deriving all six cutoff points from it
(`efficient_reasoning.metrics.cutoff_curve`) against (b) generating again at every cutoff, and prints the ratio.
The paper's cutoffs 8k..32k tokens are scaled down to 8..32 tokens (times `--scale`) for the tiny model.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

PAPER_CUTOFFS = (8, 12, 16, 20, 24, 32)


def generate(generator, prompts, k: int, max_tokens: int) -> list[dict]:
    samples = []
    for pid, gens in enumerate(generator.generate(prompts, k, 1.0, 1.0, max_tokens, seed=0)):
        for index, g in enumerate(gens):
            samples.append({"problem_id": pid, "sample_index": index, "num_tokens": g.num_tokens,
                            "finished": g.finished, "correct": g.finished, "extracted_answer": None})  # fmt: skip
    return samples


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=16)
    parser.add_argument("--k", type=int, default=2)
    parser.add_argument("--scale", type=int, default=1, help="multiply the cutoffs (8..32 tokens) by this")
    args = parser.parse_args(argv)

    from efficient_reasoning.data import PAPER_PROMPT
    from efficient_reasoning.generation import TransformersGenerator, render_prompts
    from efficient_reasoning.metrics import cutoff_curve
    from efficient_reasoning.tiny import arithmetic_rows, build

    cutoffs = [c * args.scale for c in PAPER_CUTOFFS]
    with tempfile.TemporaryDirectory() as tmp:
        generator = TransformersGenerator(str(build(Path(tmp)) / "model"), batch_size=args.problems)
    questions = [r["problem"] for r in arithmetic_rows(args.problems)]
    prompts = render_prompts(generator.tokenizer, questions, PAPER_PROMPT)
    generate(generator, prompts[:2], 1, 4)  # warm-up

    start = time.perf_counter()
    curve = cutoff_curve(generate(generator, prompts, args.k, max(cutoffs)), max(cutoffs), cutoffs)
    derived = time.perf_counter() - start
    start = time.perf_counter()
    for cutoff in cutoffs:
        generate(generator, prompts, args.k, cutoff)
    regenerated = time.perf_counter() - start

    print(f"{args.problems} problems x {args.k} samples, cutoffs {cutoffs} tokens")
    print(f"derived from one generation: {derived:.2f} s ({len(curve)} points)")
    print(f"generated once per cutoff:   {regenerated:.2f} s")
    print(f"ratio per-cutoff / derived:  {regenerated / derived:.2f}x")
    return {"derived_s": derived, "regenerated_s": regenerated, "ratio": regenerated / derived, "points": len(curve)}


if __name__ == "__main__":
    main()
