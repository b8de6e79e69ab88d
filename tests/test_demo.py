"""The CPU demo, reduced, and the notebook that wraps it, executed cell by cell against the tiny model."""

import json
from pathlib import Path

import pytest

from efficient_reasoning.demo import task
from efficient_reasoning.demo.run import PRESETS, run

REPO = Path(__file__).resolve().parents[1]


def test_task_is_checkable_and_splits_are_disjoint():
    from efficient_reasoning.verifier import Verifier

    train, heldout = task.splits(300, 50, seed=1)
    key = lambda p: (p["name"], p["item"], p["a"], p["b"])  # noqa: E731
    assert len(train) == 300 and len(heldout) == 50 and not {key(p) for p in train} & {key(p) for p in heldout}
    short, long = task.trace(train[0], 0), task.trace(train[0], 5)
    assert len(long) > 3 * len(short) and short in long
    verifier = Verifier(timeout=5.0, num_workers=1)
    try:
        golds = [task.answer(p) for p in heldout]
        assert verifier([task.trace(p, 3) for p in heldout], golds) == [1.0] * 50
        assert verifier([task.trace(p, 0) for p in heldout[1:]], golds[:-1]).count(1.0) < 49
    finally:
        verifier.close()


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    checks = run(out, PRESETS["quick"])
    return out, checks


@pytest.mark.slow
def test_reduced_demo_shows_the_direction_of_the_effect(quick_demo):
    out, _ = quick_demo
    summary = json.loads((out / "summary.json").read_text())
    results = summary["results"]
    sft, a0, a4 = results["SFT start"], results["RL alpha=0"], results["RL alpha=0.4"]
    assert sft["pass_rate"] >= 0.8  # the starting model is accurate...
    assert sft["avg_tokens"] >= 40  # ...and verbose
    assert a4["avg_tokens"] < 0.85 * sft["avg_tokens"]  # the penalty shortens reasoning
    assert a4["avg_tokens"] < a0["avg_tokens"]  # and more so than without it
    assert a4["pass_rate"] >= sft["pass_rate"] - 0.1  # accuracy holds
    assert (out / "accuracy_vs_tokens.png").read_bytes()[:4] == b"\x89PNG"
    assert "| RL alpha=0.4 |" in (out / "table.md").read_text()


@pytest.mark.slow
def test_notebook_runs_every_cell(quick_demo, tmp_path):
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
