import json
from pathlib import Path

import pytest

from efficient_reasoning import plot
from efficient_reasoning.cli import SettingError
from efficient_reasoning.plot import Point, pareto_front


def results_folder(root: Path, name: str, metrics: dict) -> Path:
    for benchmark, m in metrics.items():
        (root / name / benchmark).mkdir(parents=True)
        (root / name / benchmark / "metrics.json").write_text(json.dumps(m))
    return root / name


def test_pareto_front():
    pts = [Point(n, "b", t, a, "ours", "model") for n, t, a in [("x", 100, 0.5), ("y", 200, 0.6), ("z", 250, 0.55)]]
    assert [p.label for p in pareto_front(pts)] == ["x", "y"]
    # a point that solves nothing (a cutoff at a few tokens) is not on the frontier, though nothing has fewer tokens
    assert [p.label for p in pareto_front(pts + [Point("cut", "b", 10, 0.0, "ours", "cutoff")])] == ["x", "y"]


def test_labels_of_close_points_do_not_overlap(tmp_path):
    points = [p for p in plot.paper_points("DeepSeek-R1-Distill-Qwen-7B") if p.benchmark == "gsm8k"]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = plot.plot_benchmark(points, "gsm8k", tmp_path / "gsm8k.png")
    renderer = FigureCanvasAgg(fig).get_renderer()  # the closed figure, drawn as it was saved
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts]
    assert len(boxes) == len([p for p in points if p.kind == "model"]) >= 5  # the paper's alphas, named
    assert not [(i, j) for i, a in enumerate(boxes) for j, b in enumerate(boxes) if i < j and a.overlaps(b)]


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


FIELD_PROTOCOLS = {  # protocol -> (samples, temperature, top_p, max tokens) as field.md gives them
    "dot_readme": ("32", "0.6", "0.95", "32768"),
    "dler_table1": ("16", "", "", "32768"),
    "decs_table1": ("", "", "", "16384"),
}


def test_field_rows_name_their_protocol_and_source():
    rows = plot.field_rows()
    assert len(rows) == 118  # Table A 92 cells, Table B 18, Table C 8
    for r in rows:
        assert r["protocol"] in FIELD_PROTOCOLS and "arXiv" in r["source"]
        protocol = (r["samples_per_problem"], r["temperature"], r["top_p"], r["max_tokens"])
        assert protocol == FIELD_PROTOCOLS[r["protocol"]], r
        assert 0 < float(r["accuracy"]) < 100 and float(r["avg_tokens"]) > 0
        assert (r["copied"] == "1") == ("copied" in r["source"])
    keys = [(r["protocol"], r["method"], r["base_model"], r["benchmark"]) for r in rows]
    assert len(set(keys)) == len(keys)
    assert {r["benchmark"] for r in rows} == {"aime24", "aime25", "amc", "math500"}


def test_field_numbers_match_field_md():
    def cell(protocol, method, size, benchmark):
        (row,) = [r for r in plot.field_rows(size) if (r["protocol"], r["method"], r["benchmark"]) ==
                  (protocol, method, benchmark)]  # fmt: skip
        return float(row["accuracy"]), float(row["avg_tokens"])

    assert cell("dot_readme", "DOT-8K", "1.5B", "aime24") == (52.2, 5151)
    assert cell("dot_readme", "Laser-DE-L4096", "7B", "amc") == (83.0, 3381)
    assert cell("dot_readme", "SIRI-high", "7B", "aime25") == (45.4, 9106)
    assert cell("dler_table1", "DA-DLER", "1.5B", "math500") == (86.7, 1484)
    assert cell("dler_table1", "Laser-DE", "7B", "aime24") == (55.2, 5691)
    assert cell("decs_table1", "Arora & Zanette (their released model)", "7B", "math500") == (91.8, 2073)
    overthink = [r for r in plot.field_rows("1.5B") if r["method"] == "OverThink"]
    assert sorted(r["benchmark"] for r in overthink) == ["aime24", "math500"] and overthink[0]["copied"] == "1"
    with pytest.raises(ValueError, match="no field numbers"):
        plot.field_rows("Llama")


def test_field_plot_draws_each_method_with_its_marker_and_protocol(tmp_path):
    points = [p for p in plot.field_points("7B") if p.benchmark == "math500"]
    fig = plot.plot_benchmark(points, "math500", tmp_path / "math500.png")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(points) == 13 + 3 + 1  # Table A's methods, Table B's 7B rows, Table C's 7B row
    # the legend gives a colour per protocol; each method is named beside its point, no two names overlapping
    assert labels == ["[dot_readme]", "[dler_table1]", "[decs_table1]"]
    names = [t.get_text() for t in ax.texts]
    assert sorted(names) == sorted(p.label.rsplit(" [", 1)[0] for p in points) and "OverThink*" in names
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    overlaps = [(names[i], names[j]) for i, a in enumerate(boxes) for j, b in enumerate(boxes[i + 1 :], i + 1)
                if a.overlaps(b)]  # fmt: skip
    assert not overlaps
    offsets = [tuple(c.get_offsets()[0]) for c in ax.collections]
    assert (1293.0, pytest.approx(0.943)) in [(x, pytest.approx(y)) for x, y in offsets]
    captions = " ".join(t.get_text() for t in fig.texts)
    assert "Protocols differ" in captions and "32 samples, temperature 0.6" in captions and "16,384" in captions
    drawn = {c.get_label(): c for c in ax.collections}

    def same_marker(a, b):
        va, vb = (drawn[x].get_paths()[0].vertices for x in (a, b))
        return va.shape == vb.shape and (va == vb).all()

    # the same method keeps its marker across protocols, in another colour; methods differ in their markers
    assert same_marker("Original [dot_readme]", "Original [dler_table1]")
    assert tuple(drawn["Original [dot_readme]"].get_facecolor()[0]) != tuple(
        drawn["Original [dler_table1]"].get_facecolor()[0]
    )
    assert not same_marker("DOT-4K [dot_readme]", "DOT-8K [dot_readme]")


def test_field_beside_results_gives_the_nearest_published_points(tmp_path):
    ours = results_folder(tmp_path, "mine", {"math500": {"avg_tokens": 1500.0, "pass_rate": 0.86}})
    written = plot.main(["--results", str(ours), "--field", "--field_model", "1.5B", "--benchmarks", "math500",
                         "--output_dir", str(tmp_path / "plots")])  # fmt: skip
    assert sorted(p.name for p in written) == ["math500.png", "table.md"]
    table = (tmp_path / "plots" / "table.md").read_text()
    assert "| DOT-4K [dot_readme] | 1249.0 | 0.892 |" in table
    assert "- dler_table1: DLER, arXiv 2510.15110, Table 1; 16 samples, up to 32,768 tokens" in table
    nearest = table.split("Nearest published points")[1].splitlines()
    # 1500 tokens: DOT-8K (1423) under the DOT protocol, DA-DLER (1484) under DLER's, DeCS (1817) under DeCS's
    assert "| mine | MATH500 | 1500.0 | 0.860 | DOT-8K [dot_readme] | 1423.0 | 0.899 |" in nearest
    assert "| mine | MATH500 | 1500.0 | 0.860 | DA-DLER [dler_table1] | 1484.0 | 0.867 |" in nearest
    assert "| mine | MATH500 | 1500.0 | 0.860 | DeCS [decs_table1] | 1817.0 | 0.844 |" in nearest


def test_field_model_follows_paper_and_is_checked(tmp_path):
    written = plot.main(["--paper", "DeepSeek-R1-Distill-Qwen-7B", "--field", "--output_dir", str(tmp_path)])
    assert sorted(p.name for p in written) == ["aime24.png", "aime25.png", "amc.png", "gsm8k.png", "math500.png",
                                               "table.md"]  # fmt: skip
    table = (tmp_path / "table.md").read_text()
    assert "| DAPO-DeepScaleR [dot_readme] |" in table and "| paper RL α=0.1 |" in table
    assert "DeepScaleR-Preview" not in table  # a 1.5B row
    for argv in (["--field"], ["--field", "--field_model", "3B"], ["--paper", "DeepSeek-R1-Distill-Qwen-7B",
                 "--field_model", "7B"]):  # fmt: skip
        with pytest.raises(SettingError, match="field"):
            plot.main([*argv, "--output_dir", str(tmp_path / "x")])
