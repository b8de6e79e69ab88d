import json
from pathlib import Path

import pytest

from efficient_reasoning import plot
from efficient_reasoning.plot import Point, pareto_front


def results_folder(root: Path, name: str, metrics: dict) -> Path:
    for benchmark, m in metrics.items():
        (root / name / benchmark).mkdir(parents=True)
        (root / name / benchmark / "metrics.json").write_text(json.dumps(m))
    return root / name


def test_pareto_front():
    pts = [Point(n, "b", t, a, "ours", "model") for n, t, a in [("x", 100, 0.5), ("y", 200, 0.6), ("z", 250, 0.55)]]
    assert [p.label for p in pareto_front(pts)] == ["x", "y"]


def test_plot_command_writes_pngs_and_table(tmp_path):
    cutoffs = {"8000": {"avg_tokens": 3500.0, "pass_rate": 0.7}}
    base = results_folder(
        tmp_path,
        "distill",
        {
            "math500": {"avg_tokens": 4000.0, "pass_rate": 0.8, "cutoffs": cutoffs},
            "gsm8k": {"avg_tokens": 1000.0, "pass_rate": 0.85, "cutoffs": {}},
        },
    )
    rl = results_folder(tmp_path, "alpha0.2", {"math500": {"avg_tokens": 2000.0, "pass_rate": 0.78}})
    written = plot.main(
        ["--results", str(base), str(rl), "--baseline", str(base), "--paper", "DeepSeek-R1-Distill-Qwen-1.5B",
         "--output_dir", str(tmp_path / "plots")]
    )  # fmt: skip
    names = sorted(p.name for p in written)
    assert names == ["aime24.png", "gsm8k.png", "math500.png", "table.md"]
    for png in (tmp_path / "plots").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    table = (tmp_path / "plots" / "table.md").read_text().splitlines()
    assert table[0].startswith("| model | GSM8K tokens | pass rate | MATH500 tokens | pass rate")
    assert "| alpha0.2 |  |  | 2000.0 | 0.780 |  |  |" in table
    assert any(line.startswith("| distill @8000 |  |  | 3500.0 | 0.700 |") for line in table)
    assert any(line.startswith("| paper RL α=0.4 | 151.0 | 0.689 |") for line in table)


def test_paper_numbers_are_complete():
    rows = plot.paper_rows()
    assert len(rows) == 78
    for model in ("DeepSeek-R1-Distill-Qwen-1.5B", "DeepSeek-R1-Distill-Qwen-7B"):
        for bench in ("gsm8k", "math500", "aime24"):
            mine = [r for r in rows if r["model"] == model and r["benchmark"] == bench]
            assert sorted(r["alpha"] for r in mine if r["method"] == "RL") == ["0", "0.05", "0.1", "0.2", "0.4"]
            assert len([r for r in mine if r["method"] == "Distill"]) == 6
    with pytest.raises(ValueError, match="no paper numbers"):
        plot.paper_rows("Llama")


def test_missing_metrics_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no \\*/metrics.json"):
        plot.main(["--results", str(tmp_path / "empty"), "--output_dir", str(tmp_path / "p")])
