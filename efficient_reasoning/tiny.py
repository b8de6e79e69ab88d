"""Build a tiny random-weight `Qwen2ForCausalLM`, its tokenizer and a toy arithmetic dataset, with no download.

    python -m efficient_reasoning.tiny --output_dir data/tiny

writes `data/tiny/model` (model + tokenizer with a ChatML chat template) and `data/tiny/arithmetic.jsonl`
(`problem`, `answer` columns). Tests and `recipes/tiny/` use it.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

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


def _corpus(seed: int = 0) -> list[str]:
    rows = arithmetic_rows(500, seed)
    corpus = [
        f"Please reason step by step, and put your final answer within \\boxed{{}}. Question: {r['problem']}\n"
        f"First add the numbers. So the answer is \\boxed{{{r['answer']}}}."
        for r in rows
    ]
    return corpus + ["user assistant system reason think wait check 0123456789 = + - * / ( ) { } \\frac"]


def build_tokenizer(vocab_size: int = 512):
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
    tokenizer.train_from_iterator(_corpus(), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
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
    with open(output_dir / "arithmetic.jsonl", "w") as f:
        for row in arithmetic_rows(64, seed=1):
            f.write(json.dumps(row) + "\n")
    return output_dir


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output_dir", default="data/tiny")
    parser.add_argument("--hidden_size", type=int, default=64)
    parser.add_argument("--num_layers", type=int, default=2)
    parser.add_argument("--vocab_size", type=int, default=512)
    args = parser.parse_args(argv)
    path = build(args.output_dir, args.hidden_size, args.num_layers, args.vocab_size)
    print(f"tiny model and dataset written to {path}")


if __name__ == "__main__":
    main()
