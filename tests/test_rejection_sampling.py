import pytest

from efficient_reasoning import rejection_sampling
from efficient_reasoning.data import PAPER_PROMPT
from efficient_reasoning.generation import render_prompts
from efficient_reasoning.rejection_sampling import build_datasets, plain_prompt, select_pairs


def s(pid, idx, correct, tokens, text=None):
    return {
        "problem_id": pid, "sample_index": idx, "correct": correct, "num_tokens": tokens,
        "completion": text or f"{pid}-{idx}", "finished": True,
    }  # fmt: skip


def test_selection_rules():
    samples = [
        # p1: correct at 30, 10, 10 (a tie: the lower index wins), 50; an incorrect shorter one is ignored
        s("p1", 0, True, 30), s("p1", 1, True, 10), s("p1", 2, True, 10), s("p1", 3, True, 50), s("p1", 4, False, 5),
        # p2: no correct response: neither SFT nor DPO
        s("p2", 0, False, 10), s("p2", 1, False, 20),
        # p3: one correct response: SFT but no DPO pair
        s("p3", 0, False, 5), s("p3", 1, True, 40),
        # p4: two correct of the same length: SFT, but no pair (nothing to prefer)
        s("p4", 0, True, 25), s("p4", 1, True, 25),
        # p5: longest tie: the lower index is the rejected one
        s("p5", 0, True, 9), s("p5", 1, True, 70), s("p5", 2, True, 70),
    ]  # fmt: skip
    sft, dpo = select_pairs(samples)
    assert {k: v["sample_index"] for k, v in sft.items()} == {"p1": 1, "p3": 1, "p4": 0, "p5": 0}
    assert {k: (c["sample_index"], r["sample_index"]) for k, (c, r) in dpo.items()} == {"p1": (1, 3), "p5": (0, 1)}


PROBLEMS = [
    {"problem_id": "p1", "question": "What is 1 + 1?", "answer": "2"},
    {"problem_id": "p2", "question": "Q2", "answer": "3"},
]
# completions as an R1-Distill model writes them: reasoning, `</think>`, then the summary
SHORT = "1 plus 1 is 2.\n</think>\n\nThe answer is $\\boxed{2}$."
LONG = "Let me think. One apple and one more apple. Wait, check again: 1 + 1 = 2.\n</think>\n\n$\\boxed{2}$"
SAMPLES = [s("p1", 0, True, 5, SHORT), s("p1", 1, True, 9, LONG), s("p2", 0, False, 3)]


def test_datasets_are_plain_text_with_the_reasoning_and_eos():
    sft, dpo = build_datasets(PROBLEMS, SAMPLES, {"p1": "<u>What is 1 + 1?<a>", "p2": "<u>Q2<a>"}, "<eos>")
    assert sft.to_list() == [{"prompt": "<u>What is 1 + 1?<a>", "completion": SHORT + "<eos>", "num_tokens": 5}]
    assert dpo.to_list() == [{"prompt": "<u>What is 1 + 1?<a>", "chosen": SHORT + "<eos>", "rejected": LONG + "<eos>"}]


def test_no_correct_anywhere_gives_empty_datasets():
    sft, dpo = build_datasets(PROBLEMS[:1], [s("p1", 0, False, 3)], {"p1": "q"}, "<eos>")
    assert len(sft) == 0 and len(dpo) == 0


@pytest.fixture(scope="module")
def r1_tokenizer(shared_data):
    from efficient_reasoning.tiny import r1_distill_tokenizer

    return r1_distill_tokenizer(shared_data / "tokenizers")


def test_plain_prompt_keeps_a_single_bos(r1_tokenizer):
    rendered = render_prompts(r1_tokenizer, ["What is 1 + 1?"], PAPER_PROMPT)[0]
    assert rendered.endswith("<｜Assistant｜><think>\n")
    prompt = plain_prompt(r1_tokenizer, rendered)
    # tokenized as TRL does (special tokens on) it is exactly what the model saw at generation
    assert r1_tokenizer(prompt)["input_ids"] == r1_tokenizer(rendered, add_special_tokens=False)["input_ids"]
    assert r1_tokenizer(prompt)["input_ids"].count(r1_tokenizer.bos_token_id) == 1


def test_trl_trains_on_the_reasoning_with_the_r1_template(tmp_path, tiny, r1_tokenizer):
    """SFTTrainer's and DPOTrainer's own tokenization of the datasets, with DeepSeek-R1-Distill's real chat template
    (which drops everything before `</think>` from a conversational assistant turn)."""
    from transformers import AutoModelForCausalLM
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

    tok = r1_tokenizer
    rendered = render_prompts(tok, [p["question"] for p in PROBLEMS], PAPER_PROMPT)
    prompts = {p["problem_id"]: plain_prompt(tok, r) for p, r in zip(PROBLEMS, rendered)}
    sft, dpo = build_datasets(PROBLEMS, SAMPLES, prompts, tok.eos_token)
    model = AutoModelForCausalLM.from_pretrained(tiny / "model")  # never run: only the datasets are prepared
    common = {"report_to": "none", "use_cpu": True, "max_length": None, "dataset_num_proc": None}

    def ids(text: str) -> list[int]:
        return tok(text, add_special_tokens=False)["input_ids"]

    prompt_ids = ids(rendered[0])
    short_ids, long_ids = ids(SHORT) + [tok.eos_token_id], ids(LONG) + [tok.eos_token_id]
    assert tok.convert_tokens_to_ids("</think>") in short_ids

    trainer = SFTTrainer(model, args=SFTConfig(tmp_path / "sft", **common), train_dataset=sft, processing_class=tok)
    row = trainer.train_dataset[0]
    assert row["input_ids"] == prompt_ids + short_ids  # the whole reasoning, then EOS, after the prompt
    # the loss covers the completion only: TRL's labels mask every prompt token (-100) and keep the completion
    assert row["labels"] == [-100] * len(prompt_ids) + short_ids

    trainer = DPOTrainer(model, args=DPOConfig(tmp_path / "dpo", **common), train_dataset=dpo, processing_class=tok)
    row = trainer.train_dataset[0]
    assert row["prompt_ids"] == prompt_ids
    assert (row["chosen_ids"], row["rejected_ids"]) == (short_ids, long_ids)  # they differ in their reasoning


@pytest.mark.parametrize(
    ("bad", "message"),
    [([{"problem": "q"}], r"missing column\(s\) \['answer'\]"), ([{"problem": "", "answer": "1"}], "row 0: empty")],
)
def test_bad_prompts_are_reported(tmp_path, bad, message):
    import json

    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in bad))
    with pytest.raises(ValueError, match=message):
        rejection_sampling.main(
            ["--model", "unused", "--dataset_name", str(path), "--output_dir", str(tmp_path / "o")]
        )


def test_empty_datasets_save_and_load(tmp_path):
    from datasets import load_from_disk

    sft, dpo = build_datasets([{"problem_id": "p", "question": "q", "answer": "1"}], [], {"p": "q"}, "<eos>")
    for name, dataset in (("sft", sft), ("dpo", dpo)):
        dataset.save_to_disk(str(tmp_path / name), num_shards=1)
        assert len(load_from_disk(str(tmp_path / name))) == 0
    assert set(load_from_disk(str(tmp_path / "dpo")).column_names) == {"prompt", "chosen", "rejected"}


def test_a_run_with_nothing_correct_warns(tmp_path, tiny, caplog):
    # the random-weight tiny model never writes a correct boxed answer
    args = [
        "--model", str(tiny / "model"), "--backend", "transformers", "--dataset_name", str(tiny / "arithmetic.jsonl"),
        "--limit", "2", "--num_samples", "2", "--max_tokens", "4", "--output_dir", str(tmp_path / "rs"),
    ]  # fmt: skip
    with caplog.at_level("WARNING"):
        report = rejection_sampling.main(args)
    assert report["sft_rows"] == 0 and report["dpo_pairs"] == 0
    messages = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("no SFT rows" in m and "--num_generations" in m for m in messages)
    assert any("no DPO pairs" in m for m in messages)
