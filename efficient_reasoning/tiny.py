"""Build a tiny random-weight `Qwen2ForCausalLM`, its tokenizer and a toy arithmetic dataset, with no download.

    python -m efficient_reasoning.tiny --output_dir data/tiny

writes `data/tiny/model` (model + tokenizer with a ChatML chat template), `data/tiny/arithmetic.jsonl`
(`problem`, `answer` columns), and `sft.jsonl` (prompt, completion) and `dpo.jsonl` (prompt, chosen, rejected) in
TRL's conversational formats with short and long worked answers. Tests and `recipes/tiny/` use them.
"""

from __future__ import annotations

import random
from pathlib import Path

from .cli import ArgumentParser, check_output_dir, check_range, command
from .generation import write_jsonl

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def arithmetic_rows(num_rows: int, seed: int = 0) -> list[dict]:
    """`num_rows` questions `What is a + b?` with their integer answers."""
    rng = random.Random(seed)
    rows = []
    for _ in range(num_rows):
        a, b = rng.randint(0, 50), rng.randint(0, 50)
        rows.append({"problem": f"What is {a} + {b}?", "answer": str(a + b)})
    return rows


def worked_answer(row: dict, verbose: bool) -> str:
    """A short or a long worked answer to an `arithmetic_rows` question, ending in its `\\boxed{}` answer."""
    a, b = row["problem"].removeprefix("What is ").removesuffix("?").split(" + ")
    check = f" Let me check: {row['answer']} - {b} = {a}. Yes." if verbose else ""
    return f"First add the numbers: {a} + {b} = {row['answer']}.{check} So the answer is \\boxed{{{row['answer']}}}."


def preference_rows(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """SFT rows (prompt, short completion) and DPO rows (prompt, chosen short, rejected long)."""
    from .data import PAPER_PROMPT

    sft, dpo = [], []
    for row in rows:
        prompt = [{"role": "user", "content": PAPER_PROMPT.replace("{question}", row["problem"])}]
        short = [{"role": "assistant", "content": worked_answer(row, verbose=False)}]
        long = [{"role": "assistant", "content": worked_answer(row, verbose=True)}]
        sft.append({"prompt": prompt, "completion": short})
        dpo.append({"prompt": prompt, "chosen": short, "rejected": long})
    return sft, dpo


def _corpus(seed: int = 0) -> list[str]:
    from .data import PAPER_PROMPT

    rows = arithmetic_rows(500, seed)
    corpus = [
        PAPER_PROMPT.replace("{question}", r["problem"]) + "\n"
        f"First add the numbers. So the answer is \\boxed{{{r['answer']}}}."
        for r in rows
    ]
    return corpus + ["user assistant system reason think wait check 0123456789 = + - * / ( ) { } \\frac"]


def build_tokenizer(vocab_size: int = 512, corpus: list[str] | None = None):
    """A byte-level BPE tokenizer trained on `corpus` (default: toy arithmetic), with ChatML special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus or _corpus(), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
    )


# DeepSeek-R1-Distill-Qwen's added tokens (its tokenizer.json: same BPE vocab and merges as Qwen2.5).
R1_DISTILL_ADDED_TOKENS = {
    151643: ("<｜end▁of▁sentence｜>", True),
    151644: ("<｜User｜>", False),
    151645: ("<｜Assistant｜>", False),
    151646: ("<｜begin▁of▁sentence｜>", True),
    151647: ("<|EOT|>", False),
    151648: ("<think>", False),
    151649: ("</think>", False),
}


def r1_distill_tokenizer(tokenizers_dir: str | Path):
    """An offline stand-in for DeepSeek-R1-Distill-Qwen's tokenizer: the Qwen2 BPE (`qwen2_pypi-*/tokenizer.json`
    under `tokenizers_dir`), R1's added tokens and BOS-prepending post-processor, and R1's own
    `tokenizer_config.json` (chat template, special tokens) from `tokenizers_dir/deepseek-r1-distill-qwen`."""
    import json

    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    tokenizers_dir = Path(tokenizers_dir)
    spec = json.loads(next(tokenizers_dir.glob("qwen2_pypi-*/tokenizer.json")).read_text())
    spec["added_tokens"] = [
        {"id": i, "content": text, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
         "special": special}
        for i, (text, special) in R1_DISTILL_ADDED_TOKENS.items()
    ]  # fmt: skip
    bos_id, bos = 151646, R1_DISTILL_ADDED_TOKENS[151646][0]
    spec["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
    }  # fmt: skip
    config = json.loads((tokenizers_dir / "deepseek-r1-distill-qwen" / "tokenizer_config.json").read_text())
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(spec)),
        bos_token=bos,
        eos_token=config["eos_token"]["content"],
        pad_token=config["pad_token"]["content"],
        chat_template=config["chat_template"],
        model_max_length=config["model_max_length"],
    )


def build_model(tokenizer, hidden_size: int = 64, num_layers: int = 2, seed: int = 0):
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    return model


def build(output_dir: str | Path, hidden_size: int = 64, num_layers: int = 2, vocab_size: int = 512) -> Path:
    """Write the tiny model (with tokenizer) to `output_dir/model` and the toy dataset next to it."""
    output_dir = Path(output_dir)
    tokenizer = build_tokenizer(vocab_size)
    model = build_model(tokenizer, hidden_size, num_layers)
    model.save_pretrained(output_dir / "model")
    tokenizer.save_pretrained(output_dir / "model")
    rows = arithmetic_rows(64, seed=1)
    sft, dpo = preference_rows(rows)
    for name, data in (("arithmetic", rows), ("sft", sft), ("dpo", dpo)):
        write_jsonl(output_dir / f"{name}.jsonl", data)
    return output_dir


def main(argv: list[str] | None = None) -> None:
    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--output_dir", default="data/tiny")
    parser.add_argument("--hidden_size", type=int, default=64)
    parser.add_argument("--num_layers", type=int, default=2)
    parser.add_argument("--vocab_size", type=int, default=512)
    args = parser.parse_args(argv)
    for name in ("hidden_size", "num_layers", "vocab_size"):
        check_range(f"--{name}", getattr(args, name), 1)
    check_output_dir(args.output_dir)
    path = build(args.output_dir, args.hidden_size, args.num_layers, args.vocab_size)
    print(f"tiny model and dataset written to {path}")


if __name__ == "__main__":
    command(main)
