import os
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
def quick_demo(tmp_path_factory) -> tuple[Path, list]:
    """The demo's quick preset, run once (its SFT model, of head size 32, also serves the vLLM engine's tests).
    `EFFICIENT_REASONING_TEST_DEMO=FOLDER` reuses a finished demo folder instead (its stages are skipped)."""
    from efficient_reasoning.demo.run import PRESETS, run

    reuse = os.environ.get("EFFICIENT_REASONING_TEST_DEMO")
    out = Path(reuse) if reuse else tmp_path_factory.mktemp("demo")
    return out, run(out, PRESETS["quick"])


@pytest.fixture(scope="session")
def vllm_host():
    """One process hosting vLLM's CPU engine for every real-engine test: it imports vLLM once (tests/vllm_cpu.py)."""
    from tests import vllm_cpu

    if not vllm_cpu.available():
        pytest.skip(vllm_cpu.MISSING)
    host = vllm_cpu.EngineHost()
    yield host
    host.close()
