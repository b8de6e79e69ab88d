import math
from collections import defaultdict
from types import SimpleNamespace

import datasets
import torch

from efficient_reasoning.trainer import EfficientReasoningGRPOTrainer


def test_unscorable_fraction_is_logged():
    fake = SimpleNamespace(_metrics={"train": defaultdict(list)})
    correct = torch.tensor([1.0, math.nan, 0.0, math.nan])  # two checks timed out
    lengths = torch.tensor([10.0, 20.0, 30.0, 40.0])
    finished = torch.ones(4)
    EfficientReasoningGRPOTrainer._log_group_metrics(fake, "train", correct, lengths, finished, torch.zeros(4), 0.1)
    metrics = fake._metrics["train"]
    assert metrics["efficiency/unscorable_frac"] == [0.5]
    assert metrics["efficiency/accuracy"] == [0.25]  # NaN counts as incorrect


def test_answer_extraction_reaches_the_verifier_and_the_model_card(tiny, tmp_path):
    from efficient_reasoning.configs import EfficientReasoningConfig

    args = EfficientReasoningConfig(
        str(tmp_path), answer_extraction="paper", verifier_num_workers=0, report_to="none", use_cpu=True,
        bf16=False, num_generations=2, per_device_train_batch_size=2, max_completion_length=8,
    )  # fmt: skip
    data = datasets.Dataset.from_list([{"prompt": "1 + 1 =", "answer": "2"}] * 2)
    trainer = EfficientReasoningGRPOTrainer(model=str(tiny / "model"), args=args, train_dataset=data)
    assert trainer.correctness.verifier.extraction == "paper"
    assert trainer.model_card_details()["answer_extraction"] == "paper"
    assert (
        EfficientReasoningConfig(str(tmp_path), report_to="none", use_cpu=True, bf16=False).answer_extraction
        == "boxed"
    )  # training default
