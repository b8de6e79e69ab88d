"""Answer checking with `math-verify`: the final `\\boxed{}` of a completion against a gold answer.

Checks run in worker processes with a hard time bound per check, so a pathological completion (a power tower, a
megabyte-long answer) costs at most `timeout` seconds and never stalls training.
"""

from __future__ import annotations

import functools
import logging
import math
import multiprocessing
import os
import re
from collections.abc import Sequence

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

_BOXED_COMMANDS = ("\\boxed", "\\fbox")
_EXTRACTION = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
# math-verify warns on every call that its own alarm is off; the worker pool bounds the time instead.
logging.getLogger("math_verify").setLevel(logging.ERROR)


def last_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` (or `\\fbox{...}`) in `text`, or None when there is none or it is
    unbalanced. Scans backwards from the last command, so megabytes of reasoning before it cost a single `rfind`."""
    start = max(text.rfind(cmd) for cmd in _BOXED_COMMANDS)
    while start >= 0:
        cmd = next(c for c in _BOXED_COMMANDS if text.startswith(c, start))
        i = start + len(cmd)
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "{":
            depth = 0
            for j in range(i, len(text)):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        return text[i + 1 : j]
            return None
        start = max(text.rfind(c, 0, start) for c in _BOXED_COMMANDS)
    return None


def normalize_answer(answer: str) -> str:
    """Strip what graders disagree on: surrounding `$`, a `\\boxed{}` wrapper and a trailing period (`104.`)."""
    answer = answer.strip()
    boxed = last_boxed(answer)
    if boxed is not None:
        answer = boxed.strip()
    answer = answer.strip("$").strip()
    while answer.endswith(".") or answer.endswith("\\."):
        answer = answer.removesuffix("\\.").removesuffix(".").rstrip()
    return answer


def _parse(answer: str) -> list:
    # Timeouts are enforced by the caller's worker pool; math-verify's own alarm has 1 s granularity.
    return parse(f"${normalize_answer(answer)}$", extraction_config=_EXTRACTION, parsing_timeout=None)


@functools.lru_cache(maxsize=4096)
def _parse_gold(gold: str) -> list:
    return _parse(gold)


def check_answer(predicted: str | None, gold: str) -> float:
    """1.0 when `predicted` (an extracted answer, without `\\boxed`) matches `gold`, 0.0 when not or when nothing
    was extracted, NaN when the gold answer itself cannot be parsed (the row is unscorable)."""
    gold_parsed = _parse_gold(gold)
    if not gold_parsed:
        return math.nan
    if predicted is None or not predicted.strip():
        return 0.0
    pred_parsed = _parse(predicted)
    if not pred_parsed:
        return 0.0
    return 1.0 if verify(gold_parsed, pred_parsed, timeout_seconds=None) else 0.0


class Verifier:
    """Scores completions against gold answers in a pool of worker processes, `timeout` seconds at most per check.

    A check that runs out of time, or whose worker dies, is unscorable (NaN), which the reward treats as incorrect.
    With `num_workers=0` checks run in this process with no time bound (for debugging).
    """

    def __init__(self, timeout: float = 1.0, num_workers: int | None = None):
        if timeout <= 0:
            raise ValueError(f"`timeout` must be > 0 seconds, got {timeout}")
        self.timeout = timeout
        self.num_workers = min(4, os.cpu_count() or 1) if num_workers is None else num_workers
        self._pool = None

    def _get_pool(self):
        if self._pool is None:
            from pebble import ProcessPool

            # Warm math-verify's parsers here, then fork: workers start in milliseconds with everything imported and
            # built, also when one is restarted after a timeout kill, so a check's time bound measures the check.
            check_answer("\\frac{1}{2}", "0.5")
            self._pool = ProcessPool(max_workers=self.num_workers, context=multiprocessing.get_context("fork"))
        return self._pool

    def __call__(
        self,
        completions: Sequence[str],
        golds: Sequence[str],
        finished: Sequence[bool] | None = None,
        kind: str = "math",
    ) -> list[float]:
        """1.0 / 0.0 / NaN per completion. An unfinished completion (no EOS before the token limit) is 0.0 whatever
        it contains. `kind="choice"`: golds are option letters, checked with `check_choice`."""
        if len(completions) != len(golds) or (finished is not None and len(finished) != len(completions)):
            raise ValueError(
                f"got {len(completions)} completions, {len(golds)} gold answers and "
                f"{'no' if finished is None else len(finished)} finished flags; they must match one to one"
            )
        finished = [True] * len(completions) if finished is None else finished
        if kind != "math":
            return _check_kind(kind, completions, golds, finished)
        answers = [last_boxed(c) if done else None for c, done in zip(completions, finished)]
        if self.num_workers == 0:
            return [_check_inline(a, g) if done else 0.0 for a, g, done in zip(answers, golds, finished)]
        pool = self._get_pool()
        futures = [
            pool.schedule(check_answer, args=(a, str(g)), timeout=self.timeout) if done else None
            for a, g, done in zip(answers, golds, finished)
        ]
        return [0.0 if f is None else _result(f) for f in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def _check_inline(answer: str | None, gold: str) -> float:
    try:
        return check_answer(answer, str(gold))
    except Exception:
        return math.nan


def _result(future) -> float:
    try:
        return future.result()
    except Exception:  # a timeout (the worker was killed) or a crash: unscorable
        return math.nan


# --- Multiple-choice mode -------------------------------------------------------------------------------------
# Golds are option letters ("A".."J"). The completion's letter is taken from the last `\boxed{...}` (`\boxed{B}`,
# `\boxed{(B)}`, `\boxed{\text{B}}`, `\boxed{B) text}`), else a stated answer ("The answer is B", "answer: (B)"),
# else the last standalone `(B)` / `B)`. Plain string matching: no math parsing, no time bound needed.

KINDS = ("math", "choice")
_LETTERS = "A-J"
_BOXED_CHOICE = re.compile(
    rf"^\s*(?:\\(?:text|textbf|mathrm|mathbf)\s*\{{\s*)?\(?\s*([{_LETTERS}])\s*(?:\)|\}}|$|[.:\s])"
)
_STATED_CHOICE = re.compile(rf"(?i:answer)\s*(?:is|:)?\s*:?\s*\(?([{_LETTERS}])\b\)?")
_STANDALONE_CHOICE = re.compile(rf"(?<![A-Za-z0-9])\(?([{_LETTERS}])\)")


def extract_choice(text: str) -> str | None:
    """The option letter a completion gives, or None (see the block comment above for the order)."""
    boxed = last_boxed(text)
    if boxed is not None:
        match = _BOXED_CHOICE.match(boxed)
        return match.group(1) if match else None
    for pattern in (_STATED_CHOICE, _STANDALONE_CHOICE):
        matches = pattern.findall(text)
        if matches:
            return matches[-1]
    return None


def extract_answer(text: str, extraction: str = "boxed", kind: str = "math") -> str | None:
    """The final answer of a completion: the last `\\boxed{}` content (math) or the option letter (choice)."""
    if kind not in KINDS:
        raise ValueError(f"unknown answer kind {kind!r}; choose from {KINDS}")
    if kind == "choice":
        return extract_choice(text)
    if extraction != "boxed":
        raise ValueError(f"unknown answer extraction {extraction!r}; this version supports 'boxed'")
    return last_boxed(text)


def check_choice(completion: str, gold: str) -> float:
    """1.0 when the completion's option letter equals the gold letter, else 0.0."""
    return 1.0 if extract_choice(completion) == str(gold).strip().strip("()").upper() else 0.0


def _check_kind(kind: str, completions, golds, finished) -> list[float]:
    if kind != "choice":
        raise ValueError(f"unknown answer kind {kind!r}; choose from {KINDS}")
    return [check_choice(c, g) if done else 0.0 for c, g, done in zip(completions, golds, finished)]


def is_scorable_gold(gold: str) -> bool:
    """Whether math-verify can parse `gold`: a row whose gold answer it cannot parse ("see figure") scores NaN for
    every completion, so training on it teaches nothing."""
    try:
        return bool(_parse_gold(str(gold)))
    except Exception:
        return False
