"""Reward functions in TRL's calling convention."""

from __future__ import annotations

from collections.abc import Sequence

from .verifier import Verifier


def completion_text(completion) -> str:
    """The text of a TRL completion: a string, or a conversational list of messages."""
    if isinstance(completion, str):
        return completion
    return "".join(message["content"] for message in completion if isinstance(message.get("content"), str))


class CorrectnessReward:
    """`1{y correct}`: 1.0 when the last `\\boxed{}` of a finished completion matches the `answer` column, 0.0 when
    it does not or when the completion did not end with an EOS token, NaN when it could not be checked.

    A plain TRL reward function (`GRPOTrainer(reward_funcs=[CorrectnessReward(...)])` works);
    `EfficientReasoningGRPOTrainer` turns its gathered values into the length-penalized reward.
    """

    __name__ = "correctness"

    def __init__(
        self, verifier: Verifier | None = None, eos_token_ids: Sequence[int] = (), pad_token_id: int | None = None
    ):
        self.verifier = verifier or Verifier()
        self.eos_token_ids = list(eos_token_ids)
        self.pad_token_id = pad_token_id

    def finished(self, completion_ids: Sequence[Sequence[int]]) -> list[bool]:
        """TRL's rule (`GRPOTrainer`'s `is_truncated`): a completion is finished when its last token is an EOS id or
        the pad id, the latter when generation stopped on a custom stop id (`generation_kwargs`) and was padded."""
        stops = {*self.eos_token_ids, *([] if self.pad_token_id is None else [self.pad_token_id])}
        return [len(ids) > 0 and ids[-1] in stops for ids in completion_ids]

    def lengths(self, completion_ids: Sequence[Sequence[int]]) -> list[int]:
        """Generated tokens: TRL's completion, which ends at the first EOS id, without the padding that follows a
        custom stop id (a pad id that is also an EOS id is the completion's own end and counts)."""
        pad = None if self.pad_token_id in self.eos_token_ids else self.pad_token_id
        lengths = []
        for ids in completion_ids:
            n = len(ids)
            while pad is not None and n > 0 and ids[n - 1] == pad:
                n -= 1
            lengths.append(n)
        return lengths

    def __call__(self, completions, completion_ids, answer, **kwargs) -> list[float]:
        if not self.eos_token_ids:
            raise ValueError("CorrectnessReward needs the EOS token ids to tell finished completions from truncated")
        texts = [completion_text(c) for c in completions]
        return self.verifier(texts, [str(a) for a in answer], self.finished(completion_ids))
