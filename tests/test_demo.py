"""The CPU demo, reduced, and the notebook that wraps it, executed cell by cell against the tiny model."""

import json
from pathlib import Path

import pytest

from efficient_reasoning.demo import task
from efficient_reasoning.demo.run import PRESETS, check, report

REPO = Path(__file__).resolve().parents[1]


def test_task_levels_need_their_steps_and_splits_are_disjoint():
    from efficient_reasoning.verifier import Verifier

    train, heldout = task.splits(400, 40, seed=1)
    assert (
        len(train) == 400
        and len(heldout) == 40
        and not {task.question(p) for p in train} & {task.question(p) for p in heldout}
    )
    assert [sum(p["level"] == lv for p in heldout) for lv in task.LEVELS] == [10] * len(task.LEVELS)
    for p in heldout:
        assert len(task.steps(p)) == p["level"] and task.steps(p)[-1].endswith(f" to {task.answer(p)}.")
    short, long = task.trace(heldout[0], 0), task.trace(heldout[0], 5)
    needed = " ".join(task.steps(heldout[0]))
    assert short.startswith(needed) and long.startswith(needed) and long.count(task.RECHECK) == 5
    assert long.endswith(short[len(needed) :])  # the same answer sentence
    rows = task.as_rows(heldout)
    assert {r["level"] for r in rows} == set(task.LEVELS) and rows[0]["answer"] == task.answer(heldout[0])
    verifier = Verifier(timeout=5.0, num_workers=1)
    try:
        golds = [task.answer(p) for p in heldout]
        assert verifier([task.trace(p, 3) for p in heldout], golds) == [1.0] * 40
        # a trace that drops its last needed step answers the dial's position one turn early: wrong
        dropped = [f"{' '.join(task.steps(p)[:-1])} The answer is \\boxed{{{(int(golds[i]) - 1) % 10}}}."
                   for i, p in enumerate(heldout)]  # fmt: skip
        assert verifier(dropped, golds) == [0.0] * 40
    finally:
        verifier.close()


def _results(tokens: dict[str, list[float]], hard_pass: dict[str, float]) -> dict[str, dict]:
    """Synthetic evaluation results: per model, tokens at levels 1, 2, 4, 6 and the level-6 pass rate."""
    results = {}
    for label, per_level in tokens.items():
        by_level = {str(lv): {"avg_tokens": t, "pass_rate": 1.0, "num_problems": 50}
                    for lv, t in zip(task.LEVELS, per_level)}  # fmt: skip
        by_level["6"]["pass_rate"] = hard_pass.get(label, 1.0)
        results[label] = {"avg_tokens": sum(per_level) / 4, "pass_rate": 1.0, "by_level": by_level}
    return results


ADAPTIVE = {"SFT start": [38, 45, 60, 75], "RL alpha=0": [30, 36, 52, 66], "RL alpha=0.1": [17, 22, 34, 49],
            "RL alpha=0.4": [14, 20, 31, 45]}  # fmt: skip


def test_checks_pass_for_adaptive_lengths_and_fail_for_broken_methods():
    s = PRESETS["quick"]
    assert all(ok for _, ok in check(_results(ADAPTIVE, {}), s))
    # a reward that ignores length: every alpha ends where alpha=0 does
    flat = {label: ADAPTIVE["RL alpha=0"] if label.startswith("RL") else t for label, t in ADAPTIVE.items()}
    assert not all(ok for _, ok in check(_results(flat, {}), s))
    # one that ignores correctness: every level collapses to a bare answer and the hard level's accuracy with it
    bare = {label: [6, 6, 6, 6] if label.startswith("RL") else t for label, t in ADAPTIVE.items()}
    failed = [claim for claim, ok in check(_results(bare, {"RL alpha=0.1": 0.1, "RL alpha=0.4": 0.1}), s) if not ok]
    assert any("saves" in c for c in failed) and any("pass rate on level 6" in c for c in failed)
    # tokens that rise with alpha at one level
    rising = {**ADAPTIVE, "RL alpha=0.4": [14, 20, 31, 60]}
    assert [c for c, ok in check(_results(rising, {}), s) if not ok][0].startswith("tokens fall at every level")
    # hard problems losing accuracy at the default alpha, though the lengths look right
    assert not all(ok for _, ok in check(_results(ADAPTIVE, {"RL alpha=0.1": 0.9}), s))


@pytest.mark.slow
def test_reduced_demo_shows_the_direction_of_each_effect(quick_demo):
    out, _ = quick_demo
    summary = json.loads((out / "summary.json").read_text())
    results = summary["results"]
    sft, a0, a1, a4 = (results[k] for k in ("SFT start", "RL alpha=0", "RL alpha=0.1", "RL alpha=0.4"))
    tokens = lambda m, lv: m["by_level"][lv]["avg_tokens"]  # noqa: E731
    levels = sorted(sft["by_level"], key=int)
    assert levels == [str(lv) for lv in task.LEVELS]
    assert min(sft["by_level"][lv]["pass_rate"] for lv in levels) >= 0.7  # the starting model is accurate...
    assert all(tokens(sft, a) < tokens(sft, b) for a, b in zip(levels, levels[1:]))  # ...longer on harder levels
    assert sum(tokens(a4, lv) for lv in levels) < sum(tokens(a0, lv) for lv in levels)  # the penalty shortens
    assert all(tokens(a4, lv) < tokens(sft, lv) for lv in levels)  # at every level
    saved = lambda lv: 1 - tokens(a1, lv) / tokens(sft, lv)  # noqa: E731
    assert saved(levels[0]) > saved(levels[-1])  # relatively more on easy problems
    hard = levels[-1]
    assert a1["by_level"][hard]["pass_rate"] >= sft["by_level"][hard]["pass_rate"] - 0.1  # hard accuracy holds
    for name in ("accuracy_vs_tokens.png", "tokens_by_level.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    assert "| RL alpha=0.4 |" in (out / "table.md").read_text()
    assert set(json.loads((out / "stage_times.json").read_text())) >= {"SFT", "RL alpha=0.4", "report"}


@pytest.mark.slow
def test_notebook_runs_every_cell(quick_demo, tiny_real_run, tmp_path):
    """From a fresh working directory, as in Colab: the notebook clones the repository (here the local clone's
    committed state), enters it, trains and evaluates in subprocesses."""
    import nbformat
    from nbclient import NotebookClient

    if not (REPO / ".git").exists():
        pytest.skip("the notebook clones the repository: needs a git checkout")
    demo_out, _ = quick_demo
    fresh, workdir = tmp_path / "fresh", tmp_path / "nb"
    fresh.mkdir()
    workdir.mkdir()
    (workdir / "demo").symlink_to(demo_out)  # the demo stages resume from the fixture's finished run
    (workdir / "real-demo").symlink_to(tiny_real_run[0])  # so do the real-model experiment's
    nb = nbformat.read(REPO / "notebooks" / "efficient_reasoning.ipynb", as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source += (
        f'\nREPO_URL = "{REPO}"\nDEMO_PRESET = "quick"\nWORKDIR = "{workdir}"\nINSTALL = False\nTINY_TEST = True\n'
    )
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(fresh)}}).execute()
    assert (fresh / "efficient-reasoning" / "setup.cfg").exists()  # cloned and entered
    assert (workdir / "lora-alpha0.2-merged" / "model.safetensors").exists()
    metrics = json.loads((workdir / "results" / "lora-alpha0.2" / "math500" / "metrics.json").read_text())
    assert metrics["num_samples"] == 4
    assert (workdir / "plots" / "math500.png").exists()
    assert (workdir / "real-demo" / "table.md").read_text() == (tiny_real_run[0] / "table.md").read_text()


def test_report_tables_and_plots_by_level(tmp_path):
    results = _results(ADAPTIVE, {"RL alpha=0.4": 0.93})
    checks = report(tmp_path, results, PRESETS["quick"])
    table = (tmp_path / "table.md").read_text().splitlines()
    assert "level 6: pass / tokens (saved)" in table[0] and len(table) == 2 + len(ADAPTIVE)
    assert "| RL alpha=0.4 | " in table[-1] and "0.93 / 45.0 (40%)" in table[-1] and "1.00 / 14.0 (63%)" in table[-1]
    for name in ("accuracy_vs_tokens.png", "tokens_by_level.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "summary.json").read_text())["checks"][0]["claim"] == checks[0][0]


def test_seeds_write_a_row_per_seed_and_the_spread(tmp_path):
    from efficient_reasoning.demo import seeds

    s = PRESETS["quick"]
    shorter = {**ADAPTIVE, "RL alpha=0.4": [12, 18, 29, 43]}

    def fake_run(folder, settings):  # a finished run per seed: seed 1 has shorter alpha=0.4 answers, seed 2 fails
        results = _results(shorter if settings.seed == 1 else ADAPTIVE, {"RL alpha=0.1": 0.5} if settings.seed == 2
                           else {})  # fmt: skip
        folder.mkdir(parents=True)
        (folder / "summary.json").write_text(json.dumps({"results": results}))
        return check(results, settings)

    assert not seeds.run_seeds(tmp_path, s, [0, 1, 2], run=fake_run)  # seed 2's level-6 accuracy drop fails a check
    rows = json.loads((tmp_path / "seeds.json").read_text())["rows"]
    assert [r["seed"] for r in rows] == [0, 1, 2] and [r["checks_passed"] for r in rows] == [5, 5, 4]
    assert rows[1]["tokens"]["RL alpha=0.4"] == 25.5 and rows[0]["hard_drop"] == 0.0
    lines = (tmp_path / "seeds.md").read_text().splitlines()
    assert len(lines) == 6 and lines[-1].startswith("| spread |") and "2 of 3 seeds" in lines[-1]
    assert "25.5 to 27.5" in lines[-1]  # alpha=0.4's tokens over the seeds
