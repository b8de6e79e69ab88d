"""The benchmark scripts stay runnable: each once with tiny settings (the figures themselves are in
benchmarks/README.md, measured with the default settings)."""

import importlib.util
import math
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["verifier_throughput", "trainer_overhead", "cutoff_baseline"])
def test_help(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        load(name).main(["--help"])
    assert exit_.value.code == 0 and "usage" in capsys.readouterr().out


def test_verifier_throughput_tiny(tmp_path):
    result = load("verifier_throughput").main(["--num", "20", "--chars", "300", "--math500", str(tmp_path / "none")])
    assert result["completions"] == 20
    assert result["project_per_second"] > 0 and result["plain_per_second"] > 0
    assert result["unscorable"] >= 1  # the power towers run out of time in the project's verifier
    assert math.isclose(result["throughput_ratio"], result["project_per_second"] / result["plain_per_second"])


def test_trainer_overhead_tiny():
    result = load("trainer_overhead").main(["--steps", "3"])
    assert result["trl_median_step_s"] > 0 and result["project_median_step_s"] > 0
    assert result["trl_max_rss_mb"] > 100 and result["project_max_rss_mb"] > 100


def test_cutoff_baseline_tiny():
    result = load("cutoff_baseline").main(["--problems", "4", "--k", "1"])
    assert result["points"] == 6 and result["derived_s"] > 0 and result["regenerated_s"] > 0
