"""Training dynamics and checkpoint sweeps: a real tiny GRPO run's logs and checkpoints, and synthetic histories."""

import json
from pathlib import Path

import pytest
import yaml

from efficient_reasoning import dynamics, evaluate, grpo, plot
from efficient_reasoning.demo.run import training_dynamics

REPO = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny) -> Path:
    """Two GRPO steps of the tiny recipe at alpha 0.2, a checkpoint after each."""
    root = tmp_path_factory.mktemp("run")
    config = yaml.safe_load((REPO / "recipes" / "tiny" / "grpo.yaml").read_text())
    config.update(model_name_or_path=str(tiny / "model"), dataset_name=str(tiny / "arithmetic.jsonl"),
                  output_dir=str(root / "grpo-alpha{alpha}"), length_penalty_alpha=0.2, max_steps=2, save_steps=1,
                  max_completion_length=8, num_generations=2, per_device_train_batch_size=4)  # fmt: skip
    (root / "recipe.yaml").write_text(yaml.safe_dump(config))
    argv = ["--config", str(root / "recipe.yaml")]
    grpo.main(*grpo.parse(argv), recipe=argv[1])
    return root / "grpo-alpha0.2"


def test_dynamics_of_a_real_run(tiny_run, tmp_path):
    assert json.loads((tiny_run / dynamics.METHOD_FILE).read_text())["advantage_estimator"] == "rloo"
    run = dynamics.load_run(tiny_run)
    assert run.label == "α=0.2, rloo"
    assert [h["step"] for h in run.history] == [1, 2]
    assert all(
        {"efficiency/tokens_all", "efficiency/reward", "efficiency/truncated_frac"} <= set(h) for h in run.history
    )
    written = plot.main(["--runs", str(tiny_run), "--output_dir", str(tmp_path / "plots")])
    assert written == [tmp_path / "plots" / "dynamics.png"]
    assert written[0].read_bytes()[:8] == PNG and written[0].stat().st_size > 10_000
    # the CPU demo's report draws its RL runs the same way (the SFT model has no RL log and is left out)
    path = training_dynamics(tmp_path, {"SFT start": tmp_path / "no-log", "RL alpha=0.2": tiny_run})
    assert path.read_bytes()[:8] == PNG


def history(steps: int, alpha: float, skip_correct: set[int] = frozenset()) -> list[dict]:
    rows = []
    for step in range(1, steps + 1):
        row = {"step": step, "loss": 0.1, "efficiency/accuracy": step / steps, "efficiency/tokens_all": 100.0 - step,
               "efficiency/truncated_frac": 0.0, "efficiency/reward": 0.5, "efficiency/alpha": alpha}  # fmt: skip
        if step not in skip_correct:
            row["efficiency/tokens_correct"] = 90.0 - step
        rows.append(row)
    return rows + [{"step": steps, "train_loss": 0.1}]  # the end-of-training summary has no efficiency metrics


def write_state(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trainer_state.json").write_text(json.dumps({"log_history": rows}))
    return folder


def test_synthetic_histories(tmp_path):
    # labelled from the trainer's settings file
    a = write_state(tmp_path / "a", history(20, 0.1, skip_correct={3, 4}))
    (a / dynamics.METHOD_FILE).write_text(json.dumps({"length_penalty_alpha": 0.1, "advantage_estimator": "grpo"}))
    # from the model card when there is no settings file
    b = write_state(tmp_path / "b", history(20, 0.4))
    (b / "README.md").write_text(
        "## Length-penalized RL\n\n- length_penalty_alpha: `0.4`\n- advantage_estimator: `rloo`\n"
    )
    # a run still going: only its checkpoints hold a state, the last one is read; alpha from the log
    c = tmp_path / "c"
    write_state(c / "checkpoint-5", history(5, 0.05))
    write_state(c / "checkpoint-10", history(10, 0.05))
    runs = [dynamics.load_run(x) for x in (a, b, c)]
    assert [r.label for r in runs] == ["α=0.1, grpo", "α=0.4, rloo", "α=0.05"]
    assert len(runs[0].history) == 20 and len(runs[2].history) == 10
    steps, values = dynamics.series(runs[0].history, "efficiency/tokens_correct")
    assert 3 not in steps and 4 not in steps and len(steps) == 18 and values[0] == 89.0
    written = plot.main(["--runs", str(a), str(b), str(c), "--output_dir", str(tmp_path / "p"), "--smoothing", "0.9"])
    assert written[0].read_bytes()[:8] == PNG


def test_smoothing():
    assert dynamics.smooth([1.0, 3.0, 3.0], 0.5) == [1.0, 2.0, 2.5]
    assert dynamics.smooth([1.0, 3.0], 0.0) == [1.0, 3.0]
    with pytest.raises(ValueError, match="smoothing"):
        dynamics.smooth([1.0], 1.0)


def test_bad_run_folders(tmp_path):
    with pytest.raises(ValueError, match="no trainer_state.json"):
        dynamics.load_run(tmp_path)
    write_state(tmp_path / "sft", [{"step": 1, "loss": 0.5}])
    with pytest.raises(ValueError, match="no efficiency/\\* metrics"):
        dynamics.load_run(tmp_path / "sft")


def test_all_checkpoints(tiny_run, tmp_path, monkeypatch):
    """Every checkpoint on a problem file of one's own (`--data_file NAME=PATH`: `problem` and `answer` columns)."""
    data = tmp_path / "problems.jsonl"
    rows = [
        {"problem": f"What is {i} + {i}?", "answer": str(2 * i), "level": 1, "unique_id": f"p{i}"} for i in range(3)
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "sweep"
    args = ["--model", str(tiny_run), "--all_checkpoints", "--backend", "transformers", "--benchmarks", "toy",
            "--data_file", f"toy={data}", "--k", "2", "--max_tokens", "8", "--cutoffs", "4",
            "--output_dir", str(out)]  # fmt: skip
    results = evaluate.main(args)
    assert list(results) == ["checkpoint-1", "checkpoint-2"]
    assert "toy" not in evaluate.BENCHMARKS  # a file's own name lives for its call only
    for name in results:
        assert json.loads((out / name / "run.json").read_text())["model"] == str(tiny_run / name)
        samples = (out / name / "toy" / "samples.jsonl").read_text().splitlines()
        assert len(samples) == 6
    # resumable: a finished sweep reruns without loading any model
    monkeypatch.setattr(evaluate, "generator_from_args", lambda a: pytest.fail("a finished checkpoint was reloaded"))
    assert evaluate.main(args) == results
    label, found = dynamics.checkpoint_results(out)
    assert label == "α=0.2, rloo" and [step for step, _ in found["toy"]] == [1, 2]
    written = plot.main(["--checkpoints", str(out), "--output_dir", str(tmp_path / "plots")])
    assert written == [tmp_path / "plots" / "checkpoints_toy.png"] and written[0].read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="no checkpoint-N folders"):
        evaluate.main([*args[:1], str(tmp_path), *args[2:]])


def test_short_runs_are_ticked_at_whole_steps(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    run = dynamics.load_run(write_state(tmp_path / "a", history(3, 0.1)))
    figures = []
    monkeypatch.setattr(plt, "close", figures.append)  # keep the figure the plot closes
    dynamics.plot_dynamics([run], tmp_path / "d.png")
    ticks = [tick for ax in figures[0].axes for tick in ax.get_xticks() if 1 <= tick <= 3]
    assert ticks and all(tick == int(tick) for tick in ticks)  # a 3-step run would be ticked at 1.25, 1.5, ...
